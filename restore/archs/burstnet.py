"""The burst-fusion network: aligned frames in, one clean (optionally ×2/×4 larger) image out.

Frames arrive globally aligned to the first (the reference). A shared encoder sees each frame beside the
reference and their difference, at half resolution, and gives features plus a per-pixel confidence; the
confidences are normalised over the frames (softmax), so a frame that disagrees with the reference where an
object moved, or that is misaligned, contributes little there. The same weights average the frames' pixels
into a base image; the merged features go through a registered body to a pixel-shuffle tail that corrects
the (upsampled) base.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from restore.layers.conv import ResBlock, conv3x3
from restore.registry import Descriptor, build_backbone, register_arch

__all__ = ["BurstNet", "ghost_weight", "fallback_weight"]


def ghost_weight(fused: torch.Tensor, ref: torch.Tensor, sigma: float, box: int = 8, lo: float = 2.0,
                 hi: float = 4.0) -> torch.Tensor:
    """H×W in [0, 1]: where the 3×H×W fused image's local mean (``box``² window) departs from the noisy
    reference frame's by more than ``lo``..``hi`` times the noise that mean can have (σ/√pixels), i.e. where content
    from other frames (a ghost of something that moved) or a misalignment got into the merge."""
    h, w = ref.shape[-2:]
    pool = lambda t, pad_counts: F.avg_pool2d(t[None], box, stride=1, padding=box // 2,  # noqa: E731
                                              count_include_pad=pad_counts)[0][:, :h, :w]
    m = pool(fused - ref, False)
    count = pool(torch.ones_like(ref[:1]), True)[0] * box * box      # pixels inside the window (fewer at borders)
    z = m.pow(2).mean(0).sqrt() / (max(sigma, 1e-3 * box) / count.sqrt())
    return ((z - lo) / (hi - lo)).clamp(0, 1)


def fallback_weight(ghost: torch.Tensor, reference_share: torch.Tensor, lo: float = 0.3, hi: float = 0.7,
                    grow: int = 9) -> torch.Tensor:
    """H×W weight of single-frame denoising of the reference in the result: where a ghost shows, or where the
    merge trusted the reference alone (its share above ``lo``..``hi``), so the fusion had nothing to average;
    grown by a ``grow``² maximum to cover the edges of such regions."""
    single = ((reference_share - lo) / (hi - lo)).clamp(0, 1)
    wgt = torch.maximum(ghost, single)
    return F.max_pool2d(wgt[None, None], grow, stride=1, padding=grow // 2)[0, 0]


@register_arch("burstnet")
class BurstNet(nn.Module):
    """Confidence-weighted fusion of N aligned frames; see the module docstring. ``scale`` 1, 2 or 4."""

    def __init__(self, body: str = "res", body_kwargs: dict | None = None, frame_channels: int = 32,
                 scale: int = 1):
        super().__init__()
        if scale not in (1, 2, 4):
            raise ValueError(f"scale must be 1, 2 or 4, not {scale}")
        body_kwargs = dict(body_kwargs or {})
        self.scale = scale
        f = frame_channels
        self.encoder = nn.Sequential(conv3x3(4 * 9, f), nn.LeakyReLU(0.1, inplace=True), ResBlock(f), ResBlock(f))
        self.confidence = conv3x3(f, 1)
        self.body = build_backbone(body, **body_kwargs)
        ch = self.body.channels
        self.fuse = conv3x3(2 * f, ch)
        self.tail = conv3x3(ch, 4 * 3 * scale * scale)
        nn.init.zeros_(self.tail.weight)        # an untrained network returns the weighted mean frame
        nn.init.zeros_(self.tail.bias)
        # radius in half-resolution pixels: encoder (1 + 2·2) + fuse (1) + body + tail (1), doubled by the
        # unshuffle. Memory measured: 1030 B per input pixel for 8 frames, 32 frame channels, a 64-channel body
        self.descriptor = Descriptor(radius=2 * (5 + 1 + self.body.receptive_radius + 1),
                                     multiple=2 * self.body.multiple, scales=(scale,), in_channels=3,
                                     bf16_safe=True, bytes_per_pixel=11.0 * (f + ch))

    def forward(self, frames: torch.Tensor, reference_weight: bool = False):
        """B×N×3×H×W aligned frames (frame 0 the reference, even H and W) → B×3×(sH)×(sW); with
        ``reference_weight`` also the B×1×(sH)×(sW) share of the reference frame in the merge (1 where no other
        frame was trusted, 1/N where all were)."""
        b, n, c, h, w = frames.shape
        ref = frames[:, :1].expand(b, n, c, h, w)
        x = torch.cat([frames, ref, frames - ref], 2).reshape(b * n, 3 * c, h, w) - 0.5
        feat = self.encoder(F.pixel_unshuffle(x, 2))
        conf = self.confidence(feat).reshape(b, n, 1, h // 2, w // 2).float().softmax(1)
        feat = feat.reshape(b, n, -1, h // 2, w // 2)
        merged = (feat * conf.to(feat.dtype)).sum(1)
        y = self.fuse(torch.cat([merged, feat[:, 0]], 1))
        res = F.pixel_shuffle(self.tail(self.body(y)), 2 * self.scale)
        # the confidence-weighted mean of the frames is the base the tail corrects
        conf_full = F.interpolate(conf.reshape(b * n, 1, h // 2, w // 2), scale_factor=2, mode="nearest")
        base = (frames * conf_full.reshape(b, n, 1, h, w)).sum(1)
        if self.scale > 1:
            base = F.interpolate(base, scale_factor=self.scale, mode="bilinear", align_corners=False)
        if not reference_weight:
            return base + res
        ref_w = conf.reshape(b, n, 1, h // 2, w // 2)[:, 0]
        return base + res, F.interpolate(ref_w, scale_factor=2 * self.scale, mode="nearest")
