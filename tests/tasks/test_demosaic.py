"""Demosaicing: Bayer layouts, the bilinear base, missing sites, exact tiling, bad inputs, CLI and API."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.degrade import mosaic
from restore.io import Image
from restore.tasks.demosaic import DemosaicModel
from restore.archs.demosaicnet import DemosaicNet, bilinear_demosaic, from_rggb, to_rggb


def _net(seed: int = 0, trained_tail: bool = True) -> DemosaicNet:
    torch.manual_seed(seed)
    net = DemosaicNet(body="res", body_kwargs={"channels": 8, "blocks": 2}, estimator_channels=8)
    if trained_tail:                        # random tail weights, so the output depends on every input
        torch.nn.init.normal_(net.tail.weight, std=0.05)
    return net.eval()


def _rgb(photo_u8) -> torch.Tensor:
    return torch.from_numpy(photo_u8).permute(2, 0, 1).float() / 255


@pytest.mark.parametrize("pattern", ["RGGB", "BGGR", "GRBG", "GBRG"])
def test_every_layout_becomes_rggb_of_the_mirrored_image(pattern):
    x = torch.rand(1, 3, 10, 14)
    m = to_rggb(mosaic(x, pattern), pattern)
    assert torch.equal(m, mosaic(to_rggb(x, pattern), "RGGB"))
    assert from_rggb(m, pattern).shape == (1, 1, 10, 14)


def test_bilinear_base_keeps_flat_colours_measured_sites_and_skips_missing_ones():
    flat = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1).expand(1, 3, 12, 16)
    assert torch.allclose(bilinear_demosaic(mosaic(flat)), flat, atol=1e-6)
    x = torch.rand(1, 3, 12, 16)
    base = bilinear_demosaic(mosaic(x))
    assert torch.allclose(mosaic(base), mosaic(x), atol=1e-6)         # measured values pass through
    valid = torch.ones(1, 1, 12, 16)
    valid[..., 5, 6] = 0
    broken = mosaic(flat).clone()
    broken[..., 5, 6] = 1.0                                             # a hot pixel marked missing
    assert torch.allclose(bilinear_demosaic(broken, valid), flat, atol=1e-6)


def test_untrained_network_returns_the_bilinear_base(photo_u8):
    x = _rgb(photo_u8)[None]
    out, level = _net(trained_tail=False)(mosaic(x), sigma=0.0)
    assert torch.allclose(out, bilinear_demosaic(mosaic(x)), atol=1e-6) and float(level.abs().max()) == 0


@pytest.mark.parametrize("pattern", ["RGGB", "GBRG"])
def test_task_tiles_exactly_and_keeps_16_bit(pattern):
    model = DemosaicModel(_net(), precision="fp32")
    rgb = torch.rand(3, 46, 58, generator=torch.Generator().manual_seed(1))
    arr = (mosaic(rgb, pattern)[0].numpy() * 65535).round().astype(np.uint16)
    img = Image.from_array(arr)
    mask = torch.zeros(46, 58, dtype=torch.bool)
    mask[::7, ::5] = True
    whole = model(img, pattern=pattern, mask=mask, tile=256)
    tiled = model(img, pattern=pattern, mask=mask, tile=16)
    assert (whole.channels, whole.bit_depth, whole.height, whole.width) == (3, 16, 46, 58)
    assert torch.allclose(whole.pixels, tiled.pixels, atol=1e-5)       # tiles start on the 2×2 grid
    assert not torch.allclose(whole.pixels, model(img, pattern=pattern, tile=256).pixels)   # the mask is used


def test_bad_mosaics_give_one_line_errors():
    model = DemosaicModel(_net(), precision="fp32")
    ok = Image.from_array(np.zeros((8, 8), np.uint8))
    cases = [(Image.from_array(np.zeros((7, 8), np.uint8)), {}, "even width and height, got 8×7"),
             (Image.from_array(np.zeros((8, 8, 3), np.uint8)), {}, "single-channel Bayer mosaic, got 3 channels"),
             (Image.from_array(np.zeros((8, 8, 2), np.uint8)), {}, "single-channel Bayer mosaic, got 2 channels"),
             (ok, {"pattern": "RGBG"}, "unknown Bayer pattern 'RGBG'"),
             (ok, {"mask": torch.zeros(4, 8)}, "mask is 8×4, but the mosaic is 8×8")]
    for img, kw, msg in cases:
        with pytest.raises(ValueError, match=msg):
            model(img, **kw)


def test_training_batches_are_seeded_and_noise_level_is_right():
    from restore.recipes.demosaic import add_mosaic_noise, focus_l1, random_valid

    mos = torch.full((2, 1, 64, 64), 0.5)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a, la = add_mosaic_noise(mos, torch.tensor([10.0, 0.0]), torch.tensor([0.0, 0.002]), g())
    b, lb = add_mosaic_noise(mos, torch.tensor([10.0, 0.0]), torch.tensor([0.0, 0.002]), g())
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert float((a[0] - mos[0]).std()) * 255 == pytest.approx(10, rel=0.1)
    assert float(la[1].mean()) == pytest.approx((0.002 * 0.5) ** 0.5 * 255, rel=1e-4)
    v = random_valid((2, 1, 100, 100), torch.tensor([0.0, 0.05]), g())
    assert float(v[0].mean()) == 1.0 and 0.93 < float(v[1].mean()) < 0.97
    t = torch.zeros(1, 3, 4, 4)
    out = t.clone()
    out[..., 0, 0] = 1.0                                                 # one bad pixel among 16
    assert float(focus_l1(out, t, 0)) == pytest.approx(1 / 16)
    assert float(focus_l1(out, t, 1.0)) == pytest.approx(1.0)           # weight 16 on the hard pixel


def test_train_export_then_cli_and_api(tmp_path, monkeypatch, capsys):
    from PIL import Image as PILImage

    import restore
    from helpers import train_folder
    from restore.cli import main
    from restore.io import read_image
    from restore.weights import Manifest

    data, src = train_folder(tmp_path, 6, 120, 150, step=(30, 40))
    wdir = tmp_path / "weights"
    args = ["train", "demosaic", "--minutes", "0.05", "--id", "demosaic-test", "--channels", "8", "--blocks", "1",
            "--batch", "4", "--patch", "32", "--data", data, "--weights-dir", wdir, "--ckpt", tmp_path / "r.pt",
            "--precision", "fp32"]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve("demosaic")
    assert entry.task == "demosaic"
    assert {"val_clean", "val_miss1", "val_miss5", "val_noisy10"} <= set(entry.training["validation"])
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))

    rgb = torch.from_numpy(src[:40, :60].copy()).permute(2, 0, 1).float() / 255
    bayer = (mosaic(rgb, "GRBG")[0].numpy() * 255).round().astype(np.uint8)
    PILImage.fromarray(bayer).save(tmp_path / "raw.png")
    mask = np.zeros_like(bayer)
    mask[3, 4] = 255
    PILImage.fromarray(mask).save(tmp_path / "mask.png")
    assert main(["demosaic", "--pattern", "grbg", "--mask", str(tmp_path / "mask.png"), "-q",
                 str(tmp_path / "raw.png")]) == 0, capsys.readouterr().err
    out = read_image(tmp_path / "raw_rgb.png")
    api = restore.demosaic(bayer, pattern="GRBG", mask=mask > 0)
    assert api.shape == (40, 60, 3) and api.dtype == np.uint8 and np.array_equal(out.to_array(), api)

    PILImage.fromarray(bayer[:, :59]).save(tmp_path / "odd.png")
    PILImage.fromarray(src[:40, :60]).save(tmp_path / "colour.png")
    assert main(["demosaic", "-q", str(tmp_path / "odd.png"), str(tmp_path / "colour.png")]) == 1
    err = capsys.readouterr().err
    assert "odd.png: a Bayer mosaic needs an even width and height, got 59×40" in err
    assert "colour.png: expected a single-channel Bayer mosaic, got 3 channels" in err and "Traceback" not in err
    assert main(["demosaic", "--pattern", "XGGB", str(tmp_path / "raw.png")]) == 2


def test_cli_without_a_demosaicing_model_says_so(tmp_path, monkeypatch, capsys):
    from PIL import Image as PILImage

    from restore.cli import main

    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(tmp_path / "empty"))
    PILImage.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "in.png")
    assert main(["demosaic", str(tmp_path / "in.png")]) != 0
    assert "no demosaicing model is installed" in capsys.readouterr().err
