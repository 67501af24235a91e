"""Classical anchors: dark-channel dehazing, reflection suppression, noise estimation, ECC align-and-merge."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.classical import align_and_merge, dark_channel_dehaze, estimate_noise_sigma, suppress_reflection
from restore.degrade import add_haze, synth_burst
from restore.metrics import psnr


def _photo(photo_u8) -> torch.Tensor:
    return torch.from_numpy(photo_u8).permute(2, 0, 1).float() / 255


def _np(t: torch.Tensor) -> np.ndarray:
    return t.permute(1, 2, 0).double().numpy()


def test_dark_channel_prior_improves_a_hazy_photo(photo_u8):
    clean = _photo(photo_u8)
    hazy, _ = add_haze(clean, torch.Generator().manual_seed(0), beta=1.5, airlight=0.9)
    out = dark_channel_dehaze(_np(hazy), radius=8)
    assert out.shape == hazy.permute(1, 2, 0).shape and 0 <= out.min() and out.max() <= 1
    before = psnr(hazy * 255, clean * 255)
    after = psnr(torch.from_numpy(out).permute(2, 0, 1) * 255, clean.double() * 255)
    assert after > before + 1


def _glass() -> tuple[np.ndarray, np.ndarray]:
    """(sharp blocks, the same plus a smooth coloured reflection blob)."""
    yy, xx = np.mgrid[:64, :96]
    trans = np.full((64, 96, 3), 0.3)
    trans[16:48, 20:60] = 0.7
    trans[:, 70:] += 0.2
    blob = np.exp(-((yy - 40) ** 2 + (xx - 50) ** 2) / (2 * 15 ** 2))[..., None]
    return trans, trans + 0.15 * blob * np.array([1.0, 0.8, 0.6])


def test_reflection_suppression_is_exact_at_threshold_zero():
    _, photo = _glass()
    assert np.abs(suppress_reflection(photo, threshold=0.0) - photo).max() < 1e-9


def test_reflection_suppression_removes_a_smooth_layer_and_keeps_edges():
    trans, photo = _glass()
    out = suppress_reflection(photo, threshold=0.05)
    centred = lambda a: a - a.mean(axis=(0, 1))  # noqa: E731  (the method keeps the mean brightness)
    before = np.abs(centred(photo) - centred(trans)).mean()
    after = np.abs(centred(out) - centred(trans)).mean()
    assert after < 0.15 * before
    assert out[30, 40, 0] - out[30, 10, 0] == pytest.approx(0.4, abs=0.03)   # the block edge survives


def test_noise_estimate_is_close_on_a_smooth_image():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:128, 0:128]
    img = 0.5 + 0.2 * np.sin(xx / 20) + rng.normal(0, 0.04, (128, 128))
    assert estimate_noise_sigma(img) == pytest.approx(0.04, rel=0.1)


def test_align_and_merge_denoises_and_rejects_a_moving_object(photo_u8):
    clean = _photo(photo_u8)
    burst = synth_burst(clean, 6, torch.Generator().manual_seed(1), max_shift=2.0, max_angle=0.3, sigma=20.0,
                        moving_object=True)
    frames = [_np(f) for f in burst.frames]
    merged = torch.from_numpy(align_and_merge(frames)).permute(2, 0, 1)
    single = psnr(burst.frames[0].double() * 255, burst.target.double() * 255)
    assert psnr(merged * 255, burst.target.double() * 255) > single + 2
    plain = torch.from_numpy(align_and_merge(frames, reject=1e6)).permute(2, 0, 1)     # no rejection
    y, x, s = burst.object_box                    # the moving object: rejection ghosts it less than a plain mean
    region = lambda t: t[:, y:y + s, x:x + s].double() * 255  # noqa: E731
    assert psnr(region(merged), region(burst.target)) > psnr(region(plain), region(burst.target)) + 1
    with pytest.raises(ValueError, match="at least one frame"):
        align_and_merge([])
