"""`restore sr --degradation auto`: which model each image gets, and that the run says so."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from restore.degrade import bicubic_downscale, gaussian_noise
from restore.io import Image, read_image
from restore.recipes.data import load_rgb_u8
from restore.tasks.sr_auto import BLOCKINESS, blockiness, condition, probe

from helpers import EXAMPLES, install_model


@pytest.fixture(scope="module")
def lr() -> torch.Tensor:
    """A clean LR photo (0-255): the coffee example bicubic-downscaled ×2."""
    return bicubic_downscale(load_rgb_u8(EXAMPLES / "coffee.png").float()[:, :400, :400], 2)


def _jpeg_pixels(x: torch.Tensor, q: int) -> torch.Tensor:
    buf = io.BytesIO()
    PILImage.fromarray(x.byte().permute(1, 2, 0).numpy()).save(buf, "JPEG", quality=q)
    return torch.from_numpy(np.asarray(PILImage.open(buf)).copy()).permute(2, 0, 1).float() / 255


def test_blockiness_sees_jpeg_blocks_not_clean_or_noisy_photos(lr):
    assert 0.9 < blockiness(probe(lr / 255)) < BLOCKINESS
    assert blockiness(probe(_jpeg_pixels(lr, 30))) > BLOCKINESS
    noisy = gaussian_noise(lr / 255, 8 / 255, torch.Generator().manual_seed(0)).clamp(0, 1)
    assert blockiness(probe(noisy)) < BLOCKINESS
    assert blockiness(probe(torch.full((3, 64, 64), 0.5))) == 1.0


def test_condition_reads_the_file_first_then_the_pixels(lr, tmp_path):
    p = tmp_path / "a.jpg"
    PILImage.fromarray(lr.byte().permute(1, 2, 0).numpy()).save(p, quality=90)
    assert condition(read_image(p)) == ("jpeg", "JPEG q90")               # the tables say JPEG: no guessing
    PILImage.fromarray(lr.byte().permute(1, 2, 0).numpy()).save(p, quality=99)
    assert condition(read_image(p))[0] == "clean"                          # near-lossless JPEG
    assert condition(Image(lr / 255)) == ("clean", "clean")
    kind, why = condition(Image(_jpeg_pixels(lr, 30)))                     # a PNG of a JPEG
    assert kind == "jpeg" and why.startswith("8x8 blocking")
    assert condition(Image(torch.rand(3, 8, 8))) == ("clean", "too small to judge")


def _install_pair(root, monkeypatch) -> None:
    """Tiny random clean and real-input ×2 models as sr-x2 and sr-real-x2."""
    from restore.archs.srnet import SRNet

    for seed, (mid, alias) in enumerate((("clean-t", "sr-x2"), ("real-t", "sr-real-x2"))):
        torch.manual_seed(seed)
        install_model(root, SRNet(body_kwargs={"channels": 8, "blocks": 1}, scales=(2,)), mid, "sr", [alias], [2])
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(root))


def test_api_and_command_pick_per_image_and_say_which(lr, tmp_path, monkeypatch, capsys):
    import restore
    from restore.cli import main

    _install_pair(tmp_path / "w", monkeypatch)
    small = lr[:, :48, :64]
    d = tmp_path / "in"
    d.mkdir()
    PILImage.fromarray(small.byte().permute(1, 2, 0).numpy()).save(d / "clean.png")
    PILImage.fromarray(small.byte().permute(1, 2, 0).numpy()).save(d / "photo.jpg", quality=60)
    assert restore.sr(read_image(d / "photo.jpg"), scale=2).meta["model"] == "real-t"
    assert restore.sr(read_image(d / "clean.png"), scale=2).meta["model"] == "clean-t"
    forced = restore.sr(read_image(d / "clean.png"), scale=2, degradation="real")
    assert forced.meta["note"] == "real-t (--degradation real)"          # no dejpeg model: the real-input one
    forced = restore.sr(read_image(d / "photo.jpg"), scale=2, degradation="clean")
    assert np.array_equal(forced.to_array(), restore.sr(read_image(d / "photo.jpg"), scale=2, model="clean-t")
                          .to_array())
    assert main(["sr", "-s", "2", str(d), "-o", str(tmp_path / "out"), "--verbose"]) == 0
    err = capsys.readouterr().err
    assert "photo.jpg: real-t (JPEG q60)" in err and "clean.png: clean-t (clean)" in err
    assert "models: " in err
    auto = read_image(tmp_path / "out" / "photo_x2.png").to_array()
    want = restore.sr(read_image(d / "photo.jpg"), scale=2, degradation="real").to_array()
    assert np.array_equal(auto, want)
    assert main(["sr", "-s", "3", str(d / "photo.jpg"), "--degradation", "real"]) == 2
    assert "unknown model 'sr-x3'" in capsys.readouterr().err.splitlines()[-1]      # no ×3 model installed here
    # with a JPEG-artefact remover installed, JPEGs go through it and then the clean model
    from restore.api import _cache
    from restore.archs.dejpegnet import DejpegNet

    install_model(tmp_path / "w", DejpegNet(body_kwargs={"channels": 8, "blocks": 1}, estimator_channels=8),
                  "dejpegnet-test", "dejpeg", ["dejpeg"])
    _cache.clear()
    out = restore.sr(read_image(d / "photo.jpg"), scale=2)
    assert out.meta["model"] == "dejpegnet-test + clean-t"
    want = restore.sr(restore.dejpeg(read_image(d / "photo.jpg")), scale=2, degradation="clean")
    assert np.array_equal(out.to_array(), want.to_array())
    assert restore.sr(read_image(d / "clean.png"), scale=2).meta["model"] == "clean-t"
    forced = restore.sr(read_image(d / "clean.png"), scale=2, degradation="real")
    assert forced.meta["note"] == "dejpegnet-test + clean-t (--degradation real)"
