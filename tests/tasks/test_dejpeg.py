"""JPEG-artefact removal: the network's quality input, where the task gets the quality, tiling, the command."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from restore.archs.dejpegnet import DejpegNet, level_quality, quality_level
from restore.io import Image, read_image
from restore.tasks.dejpeg import DejpegModel

from helpers import install_model


def _net(seed: int = 0) -> DejpegNet:
    torch.manual_seed(seed)
    net = DejpegNet(body="res", body_kwargs={"channels": 8, "blocks": 2}, estimator_channels=8)
    torch.nn.init.normal_(net.tail.weight, std=0.05)      # random tail: the output depends on every input
    return net.eval()


def _install(root, monkeypatch) -> None:
    install_model(root, _net(), "dejpegnet-test", "dejpeg", ["dejpeg"])
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(root))


def _jpeg_file(path, arr: np.ndarray, quality: int) -> None:
    PILImage.fromarray(arr).save(path, "JPEG", quality=quality)


def test_quality_and_level_are_inverse_and_reach_the_network():
    assert quality_level(20) == 0.8 and level_quality(0.8) == pytest.approx(20)
    net = _net()
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    a, level = net(x, 20.0)
    b, _ = net(x, level=0.8)
    c, _ = net(x, 90.0)
    assert torch.allclose(level, torch.full_like(level, 0.8)) and torch.equal(a, b) and not torch.equal(a, c)


def test_the_quality_comes_from_the_caller_the_file_or_the_pixels(rng, tmp_path):
    model = DejpegModel(_net(), precision="fp32")
    arr = rng.integers(0, 256, (40, 56, 3), dtype=np.uint8)
    _jpeg_file(tmp_path / "a.jpg", arr, 30)
    PILImage.fromarray(arr).save(tmp_path / "a.png")
    from_file = model(read_image(tmp_path / "a.jpg"))
    assert from_file.meta["jpeg_quality_used"] == 30 and from_file.meta["jpeg_quality_source"] == "file"
    told = model(read_image(tmp_path / "a.jpg"), quality=70)
    assert told.meta["jpeg_quality_used"] == 70 and told.meta["jpeg_quality_source"] == "given"
    assert not torch.equal(told.pixels, from_file.pixels)
    guessed = model(read_image(tmp_path / "a.png"))
    assert guessed.meta["jpeg_quality_source"] == "estimated" and 1 <= guessed.meta["jpeg_quality_used"] <= 100
    same = model(Image(read_image(tmp_path / "a.jpg").pixels), quality=30)    # told what the file says
    assert torch.equal(same.pixels, from_file.pixels)
    with pytest.raises(ValueError, match="quality must be between 1 and 100"):
        model(read_image(tmp_path / "a.png"), quality=0)


def test_tiles_exactly_keeps_gray_alpha_and_16_bit(rng):
    model = DejpegModel(_net(), precision="fp32")
    img = Image.from_array(rng.integers(0, 65536, (37, 50, 2), dtype=np.uint16))     # odd sizes, gray + alpha
    whole, tiled = model(img, quality=25, tile=256), model(img, quality=25, tile=16)
    assert (whole.channels, whole.bit_depth, whole.height, whole.width) == (1, 16, 37, 50)
    assert torch.allclose(whole.pixels, tiled.pixels, atol=1e-5) and torch.equal(whole.alpha, img.alpha)
    # the blind estimate looks at a bounded set of crops, the same whatever the tiling
    assert model(img, tile=256).meta["jpeg_quality_used"] == model(img, tile=16).meta["jpeg_quality_used"]


def test_dejpeg_command_writes_png_beside_jpegs_and_reports_bad_files(rng, tmp_path, monkeypatch, capsys):
    from restore.cli import main

    _install(tmp_path / "w", monkeypatch)
    arr = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    d = tmp_path / "in"
    d.mkdir()
    _jpeg_file(d / "a.jpg", arr, 20)
    _jpeg_file(d / "b.jpg", arr[:, :, 0], 60)                        # gray JPEG
    (d / "c.jpg").write_bytes(b"not a jpeg at all")
    rc = main(["dejpeg", str(d), "-q"])
    err = capsys.readouterr().err
    assert rc == 1 and "c.jpg" in err and "Traceback" not in err
    a, b = read_image(d / "a_dejpeg.png"), read_image(d / "b_dejpeg.png")
    assert (a.channels, a.height, a.width) == (3, 32, 48) and b.channels == 1
    # the same result as the API told the file's quality
    from restore.api import dejpeg
    want = dejpeg(read_image(d / "a.jpg"), quality=20, precision="auto")
    assert np.array_equal(a.to_array(), want.to_array())
    assert main(["dejpeg", str(d / "a.jpg"), "--jpeg-quality", "101"]) == 2
    assert "101" in capsys.readouterr().err


def test_train_dejpeg_warm_starts_from_a_denoiser_and_exports(tmp_path, monkeypatch, capsys):
    from helpers import train_folder
    from restore.cli import main
    from restore.weights import Manifest
    from restore.archs.denoisenet import DenoiseNet

    wdir = tmp_path / "weights"
    torch.manual_seed(0)
    install_model(wdir, DenoiseNet(body_kwargs={"channels": 8, "blocks": 1}, estimator_channels=8), "dn", "denoise",
                  ["denoise"])
    data, _ = train_folder(tmp_path, 6, 120, 150, step=(30, 40))
    args = ["train", "dejpeg", "--minutes", "0.05", "--from-denoise", "dn", "--channels", "8", "--blocks", "1",
            "--estimator-channels", "8", "--batch", "4", "--patch", "32", "--data", data, "--weights-dir", wdir,
            "--ckpt", tmp_path / "r.pt", "--precision", "fp32"]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve("dejpeg")
    v = entry.training["validation"]
    assert entry.task == "dejpeg" and {"val_gain_q10", "val_gain_q20", "val_blind_gain_q20", "val_gain_q40"} <= set(v)
    assert entry.training["recipe"]["warm_start"].startswith("dn ")
    args[args.index("--patch") + 1] = "40"
    assert main([str(a) for a in args]) == 2 and "multiple of 16" in capsys.readouterr().err
