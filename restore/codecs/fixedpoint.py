"""Exact fixed-point evaluation of the networks that decide entropy-coding parameters.

A learned codec decodes correctly only if the decoder computes *exactly* the same CDF indexes and means
as the encoder did. Float convolutions do not promise that across CPUs, libraries or thread counts
(CompressAI issues #279, #309). Here every such network is frozen into integers: weights are scaled by a
power of two and rounded, activations carry ``FRAC`` fractional bits, and each convolution is an
im2col matrix product in float64 whose operands are integers. As long as every partial sum stays below
2**53 (checked per layer) float64 arithmetic on integers is exact in any summation order, so the result
is the same on every machine and thread count. Rescaling divides by a power of two and floors, which is
exact too. Only ``Conv2d``, ``ReLU`` and ``PixelShuffle`` layers are allowed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["FRAC", "WEIGHT_BITS", "FixedConv", "FixedNet", "to_fixed", "from_fixed", "exact_conv2d",
           "NumericRangeError"]

FRAC = 10            # fractional bits of every activation in the integer path
WEIGHT_BITS = 14     # the largest |weight| of a layer maps to about 2**WEIGHT_BITS
_EXACT = 2.0 ** 52   # bound on |partial sums| that keeps float64 integer arithmetic exact


class NumericRangeError(ValueError):
    """An integer-path activation grew past the range where float64 arithmetic is exact."""


def to_fixed(x: torch.Tensor, frac: int = FRAC) -> torch.Tensor:
    """Round a float tensor to fixed point (integers in float64 with ``frac`` fractional bits)."""
    return torch.round(x.double() * (2.0 ** frac))


def from_fixed(x: torch.Tensor, frac: int = FRAC) -> torch.Tensor:
    """Fixed point back to float32."""
    return (x * (2.0 ** -frac)).float()


def exact_conv2d(x: torch.Tensor, w: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    """2-D convolution of integer-valued float64 tensors as im2col + matmul (no Winograd/FFT paths)."""
    b, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = (h + 2 * padding - kh) // stride + 1
    ow = (wd + 2 * padding - kw) // stride + 1
    if kh == kw == 1 and stride == 1 and padding == 0:
        cols = x.reshape(b, c, h * wd)
    else:
        cols = F.unfold(x, (kh, kw), padding=padding, stride=stride)
    out = torch.matmul(w.reshape(o, -1), cols)
    return out.reshape(b, o, oh, ow)


@dataclass
class FixedConv:
    """One convolution frozen to integers: ``y = floor((W*x + B + 2**(s-1)) / 2**s)`` with ``s = shift``."""
    weight: torch.Tensor      # float64 integers, O×C×kh×kw
    bias: torch.Tensor        # float64 integers at FRAC + shift fractional bits
    shift: int
    stride: int
    padding: int
    l1: torch.Tensor          # per-output sum |W|, for the exactness bound

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, frac: int = FRAC) -> "FixedConv":
        if conv.groups != 1 or conv.dilation != (1, 1) or conv.padding_mode != "zeros":
            raise ValueError("fixed-point path supports plain convolutions only")
        if conv.stride[0] != conv.stride[1] or not isinstance(conv.padding, tuple) \
                or conv.padding[0] != conv.padding[1]:
            raise ValueError("fixed-point path needs square stride and padding")
        w = conv.weight.detach().double()
        mant, exp = math.frexp(float(w.abs().max().clamp_min(1e-12)))   # exact, unlike log2
        shift = max(0, min(30, WEIGHT_BITS - (exp - 1 if mant == 0.5 else exp)))
        wi = torch.round(w * 2.0 ** shift)
        b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
        bi = torch.round(b * 2.0 ** (frac + shift))
        return cls(wi, bi, shift, conv.stride[0], conv.padding[0], wi.abs().flatten(1).sum(1))

    def _check(self, x: torch.Tensor) -> None:
        bound = float(self.l1.max()) * float(x.abs().max()) + float(self.bias.abs().max())
        if bound >= _EXACT:
            raise NumericRangeError("entropy-parameter network left the exact integer range")

    def _rescale(self, acc: torch.Tensor) -> torch.Tensor:
        if self.shift == 0:
            return acc
        return torch.floor((acc + 2.0 ** (self.shift - 1)) * (2.0 ** -self.shift))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        return self._rescale(exact_conv2d(x, self.weight, self.stride, self.padding) + self.bias[None, :, None, None])

    def at(self, x: torch.Tensor, where: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        """The outputs at the positions ``where`` (an H×W mask) of a stride-1, same-size conv, B×O×K, using only
        the kernel taps ``taps`` (a kh×kw mask): the caller guarantees every other tap reads a zero there, as
        a checkerboard context does. Exactly equal to ``self(x)[..., where]``, for a fraction of the work."""
        _, _, kh, kw = self.weight.shape
        if self.stride != 1 or kh != 2 * self.padding + 1 or kw != kh:
            raise ValueError("FixedConv.at needs a stride-1 conv with 'same' padding")
        self._check(x)
        h, w = x.shape[-2:]
        xp = F.pad(x, (self.padding,) * 4)
        cols = torch.stack([xp[..., i:i + h, j:j + w][..., where] for i, j in taps.nonzero().tolist()], 2)
        acc = torch.matmul(self.weight[:, :, taps].reshape(self.weight.shape[0], -1), cols.flatten(1, 2))
        return self._rescale(acc + self.bias[None, :, None])


class FixedNet:
    """An ``nn.Sequential`` of Conv2d / ReLU / PixelShuffle evaluated exactly in fixed point."""

    def __init__(self, seq: nn.Module, frac: int = FRAC):
        layers = list(seq) if isinstance(seq, nn.Sequential) else [seq]
        self.ops: list = []
        for layer in layers:
            if isinstance(layer, nn.Conv2d):
                self.ops.append(FixedConv.from_conv(layer, frac))
            elif isinstance(layer, nn.ReLU):
                self.ops.append(torch.relu)
            elif isinstance(layer, nn.PixelShuffle):
                r = layer.upscale_factor
                self.ops.append(lambda t, r=r: F.pixel_shuffle(t, r))
            elif isinstance(layer, nn.Identity):
                continue
            else:
                raise TypeError(f"{type(layer).__name__} has no exact fixed-point form")

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: fixed-point integers (float64) → fixed-point integers (float64)."""
        for op in self.ops:
            x = op(x)
        return x
