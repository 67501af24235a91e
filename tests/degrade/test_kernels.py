"""Blur kernels of the real-photo degradation model."""
from __future__ import annotations

import math

import torch

from restore.degrade.kernels import (KERNEL_KINDS, KernelBlur, Sinc, apply_kernel, gaussian_kernel, plateau_kernel,
                                     sample_kernel, sinc_kernel)

from .contract import check_op, params_over_seeds


def test_kernels_are_normalised_symmetric_and_shaped_as_asked():
    iso = gaussian_kernel(9, 1.5, 1.5)
    assert iso.shape == (9, 9) and abs(float(iso.sum()) - 1) < 1e-6
    assert torch.allclose(iso, iso.T) and torch.allclose(iso, iso.flip(0, 1))
    wide = gaussian_kernel(15, 3.0, 0.5, 0.0)                 # wide along x, thin along y
    assert float(wide[7].sum()) > float(wide[:, 7].sum())
    turned = gaussian_kernel(15, 3.0, 0.5, math.pi / 2)      # the same turned by 90°
    assert torch.allclose(turned, wide.T, atol=1e-6)
    flat = plateau_kernel(11, 2.0, 2.0, 0.0, 2.0)
    assert float(flat[5, 5]) - float(flat[5, 6]) < float(iso[4, 4]) - float(iso[4, 5])   # flatter top


def test_sinc_kernel_rings_and_passes_flat_areas():
    k = sinc_kernel(13, math.pi / 2)
    assert abs(float(k.sum()) - 1) < 1e-6 and float(k.min()) < 0        # negative lobes: ringing
    flat = torch.full((3, 20, 20), 0.4)
    assert torch.allclose(apply_kernel(flat, Sinc().sample(torch.Generator().manual_seed(0), flat)), flat, atol=1e-5)


def test_every_kind_is_drawn_and_blur_preserves_mean_and_shape():
    kinds = {p.kind for p in params_over_seeds(lambda g: sample_kernel(g), 60)}
    assert kinds == set(KERNEL_KINDS)
    x = torch.rand(3, 24, 30, generator=torch.Generator().manual_seed(1))
    y, p = check_op(KernelBlur((2.0, 3.0)), x)
    assert y.shape == x.shape and float(y.std()) < float(x.std())
    small = torch.rand(3, 5, 6)                                    # smaller than the kernel: cut to fit
    assert apply_kernel(small, p).shape == small.shape
