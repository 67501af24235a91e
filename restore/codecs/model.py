"""The variable-rate learned codec: transforms + gain units + hyperprior + slice/checkerboard context.

One network serves every rate: the latent is multiplied by a per-channel gain vector before quantisation
and by an inverse gain after (Cui et al., "asymmetric gained" units). Each of ``len(lambdas)`` quality
levels has its own vectors, trained with its own rate-distortion weight; fractional qualities interpolate
the vectors log-linearly, which gives a continuous rate control.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn as nn

from restore.codecs.context import SliceContext
from restore.codecs.entropy import RansReader, RansWriter
from restore.codecs.fixedpoint import from_fixed
from restore.codecs.hyperprior import Hyperprior
from restore.codecs.transforms import analysis_synthesis
from restore.registry import Descriptor, register_arch

__all__ = ["CodecNet", "LAMBDAS", "STRIDE", "rd_terms"]

# MSE rate-distortion weights per quality level (loss = λ·255²·MSE + bpp); CompressAI's ladder
LAMBDAS = (0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800)
STRIDE = 64          # tile sides are padded to a multiple of this (y: /16, z: /64)


def rd_terms(out: dict, x: torch.Tensor, lambdas: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per sample: (λ·255²·MSE + bpp, bpp, MSE) with per-sample λ."""
    pixels = x.shape[-2] * x.shape[-1]
    bits = sum(torch.log(lik.float()).flatten(1).sum(1) for lik in out["likelihoods"].values()) / -math.log(2)
    bpp = bits / pixels
    mse = (out["x_hat"].float() - x).pow(2).flatten(1).mean(1)
    return lambdas * 255 ** 2 * mse + bpp, bpp, mse


@register_arch("codec")
class CodecNet(nn.Module):
    """Learned image codec network (see module docstring)."""

    def __init__(self, transform: str = "gdn", channels: int = 96, latent: int = 128,
                 slices: tuple[int, ...] = (16, 16, 32, 64), hyper_channels: int = 96, z_channels: int = 64,
                 lambdas: tuple[float, ...] = LAMBDAS, res_blocks: int = 0, context_hidden: int = 160,
                 fine_blocks: int = 0, first_quality: int = 1):
        super().__init__()
        if sum(slices) != latent:
            raise ValueError(f"slices {slices} must add up to latent={latent}")
        # the codec tiles itself (tiles padded to STRIDE, coded independently): no receptive radius to honour;
        # only its transforms run in bf16 (the entropy path is exact integer arithmetic)
        self.descriptor = Descriptor(radius=0, multiple=STRIDE, scales=(1,), in_channels=3, bf16_safe=True,
                                     bytes_per_pixel=4.0 * 2 * channels)
        self.first_quality = first_quality
        self.g_a, self.g_s = analysis_synthesis(transform, channels=channels, latent=latent, res_blocks=res_blocks,
                                                fine_blocks=fine_blocks)
        self.hyper = Hyperprior(latent, hyper_channels, z_channels, latent)
        self.context = SliceContext(tuple(slices), latent, context_hidden)
        self.lambdas = tuple(lambdas)
        # gain ∝ sqrt(λ) is the high-rate optimum for MSE; start there so the levels differ from step one
        mid = math.log(lambdas[len(lambdas) // 2])
        init = torch.tensor([0.5 * (math.log(lam) - mid) for lam in lambdas]).view(-1, 1).repeat(1, latent)
        self.log_gain = nn.Parameter(init.clone())
        self.log_inv_gain = nn.Parameter(-init.clone())

    @property
    def levels(self) -> int:
        return len(self.lambdas)

    @property
    def max_quality(self) -> int:
        """The highest quality: level ``levels - 1``. Qualities run from ``first_quality`` (1 unless levels were
        added below a trained model's, which keeps the numbers its qualities already had) to this."""
        return self.first_quality + self.levels - 1

    def gains(self, quality: torch.Tensor | float) -> tuple[torch.Tensor, torch.Tensor]:
        """(gain, inverse gain) as B×M×1×1 for qualities from ``first_quality`` to ``max_quality`` (fractional
        values interpolate)."""
        q = torch.as_tensor(quality, dtype=torch.float32, device=self.log_gain.device).reshape(-1) \
            - self.first_quality
        if bool((q < 0).any()) or bool((q > self.levels - 1).any()):
            raise ValueError(f"quality must be between {self.first_quality} and {self.max_quality}")
        lo = q.floor().long().clamp(max=self.levels - 2)
        t = (q - lo.float()).view(-1, 1)
        g = (1 - t) * self.log_gain[lo] + t * self.log_gain[lo + 1]
        ig = (1 - t) * self.log_inv_gain[lo] + t * self.log_inv_gain[lo + 1]
        return g.exp()[..., None, None], ig.exp()[..., None, None]

    def forward(self, x: torch.Tensor, quality: torch.Tensor) -> dict:
        """Training pass on a B×3×H×W batch in [0, 1] (H, W multiples of 64) with per-sample qualities."""
        gain, inv = self.gains(quality)
        y = self.g_a(x) * gain
        hyper, z_lik = self.hyper(y)
        y_hat, y_lik = self.context(y, hyper)
        x_hat = self.g_s(y_hat * inv)
        return {"x_hat": x_hat, "likelihoods": {"y": y_lik, "z": z_lik}}

    @torch.no_grad()
    def bake(self) -> None:
        """Compute the integer CDF tables and freeze the fixed-point networks (run once at export)."""
        self.hyper.prior.bake()
        self.context.gaussian.bake()
        self.freeze()

    def freeze(self) -> None:
        self.hyper.freeze()
        self.context.freeze()

    @staticmethod
    def latent_shapes(h: int, w: int) -> tuple[tuple[int, int], tuple[int, int]]:
        if h % STRIDE or w % STRIDE:
            raise ValueError(f"tile sides must be multiples of {STRIDE}, got {w}x{h}")
        return (h // 16, w // 16), (h // 64, w // 64)

    @torch.no_grad()
    def analyse(self, x: torch.Tensor) -> torch.Tensor:
        """The analysis transform of a 1×3×H×W tile, before the quality gain (reusable across qualities)."""
        self.latent_shapes(*x.shape[-2:])
        return self.g_a(x)

    @torch.no_grad()
    def encode_latents(self, x: torch.Tensor, quality: float, features: Optional[torch.Tensor] = None,
                       writer: Optional[RansWriter] = None,
                       latents: Optional[tuple[torch.Tensor, torch.Tensor]] = None) -> tuple[bytes, torch.Tensor]:
        """One 1×3×H×W tile in [0, 1] → (rANS stream: z, then y slice by slice; the decoder's ``y_hat``).

        ``features``: :meth:`analyse` of ``x`` if already computed (a rate search codes one tile many times).
        ``writer``: where the symbols go (default: a new rANS stream).
        ``latents``: the gained ``y`` and the ``z`` to code instead of the transforms' (an encoder-side search's,
        :mod:`restore.codecs.refine`); the stream is the same format either way.
        """
        (yh, yw), _ = self.latent_shapes(*x.shape[-2:])
        writer = RansWriter() if writer is None else writer
        if latents is None:
            gain, _ = self.gains(quality)
            y, z = (self.analyse(x) if features is None else features) * gain, None
        else:
            y, z = latents
        hyper = self.hyper.encode(y, writer, z=z)
        y_hat = self.context.code(hyper, (1, self.context.channels, yh, yw), y=y, writer=writer)
        return writer.finish(), y_hat

    @torch.no_grad()
    def decode_latents(self, data: bytes, h: int, w: int) -> torch.Tensor:
        """The fixed-point ``y_hat`` of an H×W tile's stream: exactly what the encoder computed, on any machine."""
        (yh, yw), (zh, zw) = self.latent_shapes(h, w)
        zc = self.hyper.prior.medians.numel()
        reader = RansReader(data, zc * zh * zw + self.context.channels * yh * yw)
        hyper = self.hyper.decode((1, zc, zh, zw), reader)
        return self.context.code(hyper, (1, self.context.channels, yh, yw), reader=reader)

    def compress(self, x: torch.Tensor, quality: float, features: Optional[torch.Tensor] = None,
                 latents: Optional[tuple[torch.Tensor, torch.Tensor]] = None) -> bytes:
        """One 1×3×H×W tile in [0, 1] → one rANS stream (``features``: its :meth:`analyse`, if known;
        ``latents``: the (y, z) to code instead, see :meth:`encode_latents`)."""
        return self.encode_latents(x, quality, features, latents=latents)[0]

    @torch.no_grad()
    def synthesise(self, y_hat: torch.Tensor, quality: float) -> torch.Tensor:
        """The synthesis transform of a tile's fixed-point ``y_hat`` at ``quality``: 1×3×H×W float, not clamped.
        Only the pixels depend on its arithmetic (it may run in bf16); the symbols never do."""
        _, inv = self.gains(quality)
        return self.g_s(from_fixed(y_hat) * inv)

    def decompress(self, data: bytes, quality: float, h: int, w: int) -> torch.Tensor:
        """Inverse of :meth:`compress`: a 1×3×H×W float tile (not clamped)."""
        return self.synthesise(self.decode_latents(data, h, w), quality)
