"""Camera RAW input: a tiny DNG written here is read by rawpy, normalised, white-balanced and demosaiced."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.io import ImageError
from restore.rawfile import develop, normalise_mosaic, read_raw


def write_dng(path, cfa: np.ndarray, pattern: tuple = (0, 1, 1, 2), black: int = 64, white: int = 4095,
              neutral: tuple = (0.5, 1.0, 0.6)) -> None:
    """A minimal uncompressed CFA DNG (DNG tags by number) that LibRaw reads."""
    import tifffile

    extratags = [
        (50706, "B", 4, (1, 4, 0, 0), True),            # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),            # DNGBackwardVersion
        (50708, "s", 0, "restore test camera", True),   # UniqueCameraModel
        (33421, "H", 2, (2, 2), True),                  # CFARepeatPatternDim
        (33422, "B", 4, pattern, True),                 # CFAPattern (0 R, 1 G, 2 B)
        (50710, "B", 3, (0, 1, 2), True),               # CFAPlaneColor
        (50711, "H", 1, 1, True),                       # CFALayout
        (50714, "H", 1, black, True),                   # BlackLevel
        (50717, "H", 1, white, True),                   # WhiteLevel
        (50728, "2I", 3, [x for v in neutral for x in (int(v * 10000), 10000)], True),   # AsShotNeutral
    ]
    tifffile.imwrite(path, cfa.astype(np.uint16), photometric=32803, planarconfig=1, subfiletype=0,
                     extratags=extratags)


def test_normalise_mosaic_applies_black_white_and_gains():
    raw = np.array([[64, 4095], [2079, 5000]])
    colors = np.array([[0, 1], [3, 2]])
    out = normalise_mosaic(raw, colors, np.array([64, 64, 64, 64]), 4095, np.array([2.0, 1.0, 1.5, 1.0]))
    assert out.dtype == np.float32
    assert np.allclose(out, [[0.0, 1.0], [2015 / 4031, 1.0]])       # clipped at 1 after the blue gain


@pytest.mark.parametrize("pattern, name", [((0, 1, 1, 2), "RGGB"), ((1, 0, 2, 1), "GRBG")])
def test_read_raw_gives_pattern_levels_and_white_balance(tmp_path, pattern, name):
    rng = np.random.default_rng(0)
    cfa = (rng.random((32, 48)) * 1500 + 64).astype(np.uint16)
    write_dng(tmp_path / "t.dng", cfa, pattern=pattern)
    raw = read_raw(tmp_path / "t.dng")
    assert raw.pattern == name and raw.image.pixels.shape == (1, 32, 48) and raw.image.bit_depth == 16
    gains = {"R": 2.0, "G": 1.0, "B": 1.0 / 0.6}                     # 1 / AsShotNeutral, green = 1
    for k, c in enumerate(name):
        y, x = k // 2, k % 2
        want = (cfa[y::2, x::2].astype(float) - 64) / (4095 - 64) * gains[c]
        assert np.allclose(raw.image.pixels[0, y::2, x::2].numpy(), np.clip(want, 0, 1), atol=1e-5)


def test_develop_applies_the_matrix_and_srgb_curve():
    from restore.io import Image

    lin = Image(torch.full((3, 2, 2), 0.2140), bit_depth=8)
    out = develop(lin, np.eye(3))
    assert out.bit_depth == 16 and torch.allclose(out.pixels, torch.full((3, 2, 2), 0.5), atol=2e-3)


def test_unreadable_raw_is_a_one_line_error(tmp_path):
    bad = tmp_path / "junk.dng"
    bad.write_bytes(b"II*\x00" + bytes(100))
    with pytest.raises(ImageError, match="junk.dng: not a readable RAW file"):
        read_raw(bad)


def test_cli_demosaics_a_dng(tmp_path, monkeypatch, capsys):
    from restore.cli import main
    from restore.io import read_image
    from restore.weights import Manifest, ModelEntry, save_state
    from restore.archs.demosaicnet import DemosaicNet

    torch.manual_seed(0)
    net = DemosaicNet(body_kwargs={"channels": 8, "blocks": 1}, estimator_channels=8)
    digest = save_state(net, tmp_path / "dm.safetensors")
    Manifest(tmp_path).upsert(ModelEntry(id="demosaic-test", task="demosaic", arch="demosaicnet",
                                         kwargs=net.arch_spec[1], file="dm.safetensors", sha256=digest,
                                         aliases=["demosaic"]))
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(tmp_path))
    flat = np.zeros((32, 48), np.uint16)
    flat[0::2, 0::2], flat[0::2, 1::2], flat[1::2, 0::2], flat[1::2, 1::2] = 1000, 2000, 2000, 1500
    write_dng(tmp_path / "shot.dng", flat)
    assert main(["demosaic", "-q", str(tmp_path / "shot.dng")]) == 0, capsys.readouterr().err
    out = read_image(tmp_path / "shot_rgb.png")
    assert out.bit_depth == 16 and out.channels == 3
    # an untrained network is bilinear on a flat field: the white-balanced camera values, then the sRGB curve
    r, g, b = (out.pixels[:, 16, 24] * 65535).round().tolist()
    lin = np.array([(1000 - 64) / 4031 * 2, (2000 - 64) / 4031, (1500 - 64) / 4031 / 0.6])
    want = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * np.clip(lin, 0, 1) ** (1 / 2.4) - 0.055) * 65535
    assert np.allclose([r, g, b], want, atol=40)
