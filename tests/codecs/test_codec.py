"""The image-level codec: round trips, tiles, regions, gray/alpha/16-bit, metadata, rate control, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.codecs.container import CodecFormatError, unpack
from restore.io import Image


def _psnr(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(peak ** 2 / mse))


@pytest.fixture
def photo() -> np.ndarray:
    from PIL import Image as P

    from tinycodec import EXAMPLES

    return np.asarray(P.open(EXAMPLES / "astronaut.png").convert("RGB"))[60:160, 150:300].copy()   # 150×100


def test_round_trip_matches_the_network_and_keeps_size(tiny_codec, photo):
    img = Image.from_array(photo)
    data = tiny_codec.encode(img, quality=2)
    out = tiny_codec.decode(data)
    assert (out.width, out.height, out.channels, out.bit_depth) == (150, 100, 3, 8)
    # the coded result equals the network's own eval pass (rounded latents), up to fixed-point rounding
    x = torch.nn.functional.pad(img.pixels[None], (0, 42, 0, 28), mode="replicate")
    ref = tiny_codec.net(x, torch.tensor([2.0]))["x_hat"][0, :, :100, :150].clamp(0, 1)
    assert (out.pixels - ref).abs().max() < 0.05


def test_shipped_codec_quality_ladder(photo):
    """The shipped weights: more quality costs more bits and buys PSNR, in a sensible range."""
    from restore.api import load

    codec = load("codec")
    img = Image.from_array(photo)
    bpp, psnr = [], []
    for q in (1, 4, 8):
        data = codec.encode(img, quality=q)
        bpp.append(len(data) * 8 / (photo.shape[0] * photo.shape[1]))
        psnr.append(_psnr(codec.decode(data).to_array(), photo))
    assert bpp[0] < bpp[1] < bpp[2] and psnr[0] < psnr[1] < psnr[2]
    assert psnr[0] > 24 and psnr[2] > 30 and bpp[2] < 4


def test_the_default_model_has_a_quality_below_1(photo):
    """codec-hp-lf2 added quality 0 (about 0.1 bpp on Kodak) below codec-hp-lf's qualities 1-8."""
    from restore.api import decode, encode, load

    assert load("codec").qualities == (0, 8)
    img = photo[:128, :128]
    files = [encode(img, quality=q) for q in (0, 0.5, 1)]
    assert len(files[0]) < len(files[1]) < len(files[2])
    assert [unpack(f)[0].quality for f in files] == [0, 0.5, 1]
    assert _psnr(decode(files[0]).to_array(), img) > 20
    with pytest.raises(ValueError, match="quality must be between 0 and 8, not -1"):
        encode(img, quality=-1)


def test_tiles_and_region_decode(tiny_codec, photo):
    img = Image.from_array(photo)
    data = tiny_codec.encode(img, quality=2, tile=64, overlap=0)
    h, streams = unpack(data)
    assert h.grid == (3, 2) and len(streams) == 3 + 6 and h.overlap == 0
    full = tiny_codec.decode(data)
    region = tiny_codec.decode(data, region=(70, 30, 50, 60))
    assert torch.equal(region.pixels, full.pixels[:, 30:90, 70:120])
    # tiles are coded independently: a single-tile region decodes the same as the whole image there
    corner = tiny_codec.decode(data, region=(0, 0, 64, 64))
    assert torch.equal(corner.pixels, full.pixels[:, :64, :64])
    with pytest.raises(ValueError, match="not inside"):
        tiny_codec.decode(data, region=(100, 0, 60, 10))


def test_overlapping_tiles_cross_fade_and_decode_regions(tiny_codec, photo):
    from restore.codecs.codec import blend_weights

    img = Image.from_array(photo)
    data = tiny_codec.encode(img, quality=2, tile=64, overlap=8)
    h, _ = unpack(data)
    assert (h.tile_w, h.overlap, h.grid) == (48, 8, (4, 3))
    assert h.coded_box(5) == (40, 40, 64, 60)     # an interior column codes exactly ``tile`` px; clipped at the bottom
    total = torch.zeros(1, 100, 150)                         # the blend weights of all tiles sum to one
    for i in range(12):
        x, y, w, hh = h.coded_box(i)
        total[:, y:y + hh, x:x + w] += blend_weights(h, i)
    assert torch.allclose(total, torch.ones_like(total))
    full = tiny_codec.decode(data)
    assert torch.allclose(tiny_codec.decode(data, region=(37, 41, 30, 20)).pixels, full.pixels[:, 41:61, 37:67],
                          atol=1e-6)
    # an image that fits in one tile is coded whole, whatever the overlap
    assert unpack(tiny_codec.encode(img, quality=2, overlap=16))[0].grid == (1, 1)


def test_tiles_are_coded_grouped_by_shape_and_stored_in_raster_order(tiny_codec):
    from PIL import Image as P

    from restore.codecs.codec import _pad_to, by_shape
    from restore.codecs.model import STRIDE
    from tinycodec import EXAMPLES

    photo = np.asarray(P.open(EXAMPLES / "astronaut.png").convert("RGB"))[:200, 100:350].copy()   # 250×200
    data = tiny_codec.encode(Image.from_array(photo), quality=2, tile=128, overlap=8)
    h, streams = unpack(data)
    assert h.grid == (3, 2) and h.coded_box(2)[2] == 34      # cells of 112: the last column codes 34 px
    assert by_shape(h, range(6)) == [0, 1, 3, 4, 2, 5]        # 128×128 tiles first, then the 64×128 column
    assert by_shape(h, [5, 0, 2]) == [5, 2, 0]                # groups in order of first appearance
    rgb = torch.from_numpy(photo).permute(2, 0, 1).float() / 255
    for i in range(6):                           # stream i is tile i's, whatever order they were coded in
        x, y, w, hh = h.coded_box(i)
        t = _pad_to(rgb[None, :, y:y + hh, x:x + w], STRIDE)
        assert streams[3 + i] == tiny_codec.net.compress(t, 2.0, tiny_codec.analyse(t))
    full = tiny_codec.decode(data).pixels
    y_hat = tiny_codec.tile_latents(h, 5, streams[3 + 5])       # where only tile 5 reaches, it is tile 5's output
    t5 = tiny_codec._transform(lambda y: tiny_codec.net.synthesise(y, 2.0), y_hat)[0].clamp(0, 1)
    assert h.coded_box(5) == (216, 104, 34, 96) and torch.allclose(full[:, 120:, 232:], t5[:, 16:96, 16:34])
    assert torch.allclose(tiny_codec.decode(data, region=(200, 150, 50, 50)).pixels, full[:, 150:, 200:], atol=1e-6)


def test_gray_alpha_16bit_and_metadata_survive(tiny_codec, photo, rng):
    gray16 = (photo.mean(2) * 257).astype(np.uint16)
    alpha16 = rng.integers(0, 65536, gray16.shape, dtype=np.uint16)
    img = Image.from_array(np.stack([gray16, alpha16], 2))
    img.icc, img.exif = b"fake-icc-profile" * 10, b"Exif\x00\x00MM\x00*" + bytes(20)
    out = tiny_codec.decode(tiny_codec.encode(img, quality=3))
    assert (out.channels, out.bit_depth) == (1, 16)
    assert out.icc == img.icc and out.exif == img.exif
    assert np.array_equal(out.to_array()[..., 1], alpha16)          # alpha is lossless
    x = torch.from_numpy(gray16.astype(np.float32) / 65535).expand(3, -1, -1)   # gray is coded as RGB, then averaged
    x = torch.nn.functional.pad(x[None], (0, 42, 0, 28), mode="replicate")
    ref = tiny_codec.net(x, torch.tensor([3.0]))["x_hat"][0, :, :100, :150].clamp(0, 1).mean(0, keepdim=True)
    assert (out.pixels - ref).abs().max() < 0.05
    rgba8 = np.concatenate([photo, photo[..., :1]], 2)
    out8 = tiny_codec.decode(tiny_codec.encode(Image.from_array(rgba8), quality=1))
    assert out8.bit_depth == 8 and np.array_equal(out8.to_array()[..., 3], photo[..., 0])


def test_quality_range_and_tile_errors(tiny_codec, photo):
    img = Image.from_array(photo)
    with pytest.raises(ValueError, match="quality must be between 1 and 3"):
        tiny_codec.encode(img, quality=4)
    with pytest.raises(ValueError, match="quality must be between 1 and 3"):
        tiny_codec.encode(img, quality=0.5)
    with pytest.raises(ValueError, match="multiple of 64"):
        tiny_codec.encode(img, tile=100)
    with pytest.raises(ValueError, match="overlap must be between 0 and 16"):
        tiny_codec.encode(img, tile=64, overlap=20)
    with pytest.raises(ValueError, match="target bpp must be positive"):
        tiny_codec.encode(img, target_bpp=0)


def test_fractional_quality_lies_between_levels(tiny_codec, photo):
    img = Image.from_array(photo)
    sizes = [len(tiny_codec.encode(img, quality=q)) for q in (2, 2.5, 3)]
    assert sizes[0] < sizes[1] < sizes[2]
    assert unpack(tiny_codec.encode(img, quality=2.5))[0].quality == 2.5


def test_target_bpp_fits_the_budget(tiny_codec, photo):
    img = Image.from_array(photo)
    pixels = photo.shape[0] * photo.shape[1]
    lo, hi = (len(tiny_codec.encode(img, quality=q)) * 8 / pixels for q in (1, 3))
    target = (lo + hi) / 2
    data = tiny_codec.encode(img, target_bpp=target)
    q = unpack(data)[0].quality
    assert len(data) * 8 / pixels <= target and 1 < q < 3
    assert data == tiny_codec.encode(img, quality=q)       # the search reuses the analysis: same bytes
    # a little more budget never buys a lower quality
    assert unpack(tiny_codec.encode(img, target_bpp=target * 1.2))[0].quality >= q
    # a target below the lowest rate gives the smallest file, above the highest the best one
    assert unpack(tiny_codec.encode(img, target_bpp=lo / 2))[0].quality == 1
    assert unpack(tiny_codec.encode(img, target_bpp=hi * 2))[0].quality == 3


def test_file_from_other_weights_is_refused(tiny_codec, photo, tmp_path, monkeypatch):
    from restore.api import load
    from tinycodec import make_tiny_codec

    data = tiny_codec.encode(Image.from_array(photo), quality=1)
    other = tmp_path / "other"
    make_tiny_codec(other, seed=1, steps=2)
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(other))
    with pytest.raises(CodecFormatError, match="coded with codec-tiny weights"):
        load("codec").decode(data)
