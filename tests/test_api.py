"""The Python API on every input kind."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

import restore
from restore.io import Image



def test_public_names():
    for name in ("read_image", "write_image", "load", "sr", "list_models", "Image"):
        assert hasattr(restore, name)
    with pytest.raises(AttributeError):
        restore.nonexistent_function  # noqa: B018


def test_sr_numpy_uint8_same_kind_and_beats_nearest(photo_u8):
    out = restore.sr(photo_u8, scale=2)
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (96, 128, 3)
    # the upscaled image, shrunk back, is close to the input (content preserved, not garbage)
    small = np.asarray(PILImage.fromarray(out).resize((64, 48), PILImage.BICUBIC)).astype(float)
    assert np.abs(small - photo_u8).mean() < 6


def test_sr_numpy_uint16_and_float(photo_u8):
    a16 = photo_u8.astype(np.uint16) * 257
    out16 = restore.sr(a16, scale=2)
    assert out16.dtype == np.uint16 and out16.shape == (96, 128, 3)
    assert out16.max() > 255                       # really 16-bit values, not 8-bit in a 16-bit container
    f = photo_u8.astype(np.float32) / 255
    outf = restore.sr(f, scale=2)
    assert outf.dtype == np.float32 and 0 <= outf.min() and outf.max() <= 1
    assert np.abs(outf * 65535 - out16).max() < 2   # the same computation whatever the container


def test_sr_pil_tensor_path_and_image(tmp_path, photo_u8):
    pil = PILImage.fromarray(photo_u8)
    out = restore.sr(pil, scale=3)
    assert isinstance(out, PILImage.Image) and out.size == (192, 144) and out.mode == "RGB"
    t = torch.from_numpy(photo_u8).permute(2, 0, 1).float() / 255
    tout = restore.sr(t, scale=2)
    assert isinstance(tout, torch.Tensor) and tuple(tout.shape) == (3, 96, 128)
    p = tmp_path / "in.png"
    pil.save(p)
    iout = restore.sr(p, scale=4)
    assert isinstance(iout, Image) and (iout.height, iout.width) == (192, 256)
    assert np.array_equal(np.asarray(out), restore.sr(photo_u8, scale=3))


def test_sr_keeps_alpha_and_gray(photo_u8):
    alpha = np.zeros(photo_u8.shape[:2] + (1,), np.uint8)
    alpha[:, 32:] = 255
    out = restore.sr(np.concatenate([photo_u8, alpha], 2), scale=2)
    assert out.shape == (96, 128, 4)
    assert out[:, :60, 3].max() <= 5 and out[:, 68:, 3].min() >= 250
    gray = restore.sr(photo_u8[:, :, 1], scale=2)
    assert gray.shape == (96, 128)


def test_load_is_cached_and_thread_safe(photo_u8):
    m = restore.load("sr-x2")
    assert restore.load("sr-x2") is m
    img = Image.from_array(photo_u8)
    ref = m(img).to_array()
    results = [None] * 4

    def work(i):
        results[i] = m(img).to_array()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, ref) for r in results)


def test_bad_arguments():
    with pytest.raises(ValueError, match="supports scales"):
        restore.load("sr-x4", scale=5)
    with pytest.raises(KeyError, match="unknown model"):
        restore.load("sr-x7")
    with pytest.raises(TypeError, match="unsupported image type"):
        restore.sr(12345, scale=2)
