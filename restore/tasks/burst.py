"""Burst fusion: N handheld frames → one clean image (optionally ×2/×4), around :class:`BurstNet`."""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F

from restore.classical import estimate_noise_sigma, iter_ecc_align
from restore.io import Image
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.burstnet import BurstNet, fallback_weight, ghost_weight
from restore.tasks.denoise import MAX_SIGMA, DenoiseModel

__all__ = ["BurstModel", "check_burst", "SPEC"]


def check_burst(frames: Sequence[Image]) -> None:
    """A one-line ValueError unless there are at least two frames of one size."""
    if len(frames) < 2:
        raise ValueError(f"a burst needs at least 2 frames, got {len(frames)}")
    ref = frames[0]
    for i, f in enumerate(frames[1:], 2):
        if (f.width, f.height) != (ref.width, ref.height):
            name = f.meta.get("path", f"frame {i}")
            raise ValueError(f"{name} is {f.width}×{f.height} but the first frame is {ref.width}×{ref.height}")


class BurstModel(TaskModel):
    """Aligns the frames to the first (OpenCV ECC, Euclidean) and fuses them tile by tile.

    With a ``fallback`` denoiser, regions the merge could not average (something moved, or only the reference
    was trusted: :func:`fallback_weight`) take the reference frame denoised on its own instead, at the noise
    level estimated from the reference, so moving objects come out as clean as single-frame denoising makes them.
    """

    multiple = 2

    def __init__(self, net: BurstNet, precision: str = "auto", entry=None,
                 fallback: Union[DenoiseModel, Callable[[], Optional[DenoiseModel]], None] = None):
        super().__init__(net, precision, entry)
        self.scale = net.scale
        self._fallback = fallback

    @classmethod
    def build(cls, net: BurstNet, entry, precision: str = "auto", scale: Optional[int] = None) -> "BurstModel":
        """With the installed single-frame denoiser (the spec's ``needs``) as the fallback, loaded on first use."""
        from restore.api import load

        def fallback() -> Optional[DenoiseModel]:
            try:
                return load(SPEC.needs[0], precision=precision)
            except KeyError:
                return None

        return cls(net, precision, entry, fallback)

    @property
    def fallback(self) -> Optional[DenoiseModel]:
        """The single-frame denoiser; given as a loader function, it is loaded on first use."""
        if callable(self._fallback) and not isinstance(self._fallback, DenoiseModel):
            self._fallback = self._fallback()
        return self._fallback

    def __call__(self, frames: Sequence[Image], tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None) -> Image:
        check_burst(frames)
        h, w = frames[0].height, frames[0].width
        stack = torch.empty(len(frames), 3, h, w)                                    # N×3×H×W, aligned
        n = 0
        for a in iter_ecc_align(self.rgb_in(f.pixels).permute(1, 2, 0).numpy() for f in frames):
            stack[n] = torch.from_numpy(np.asarray(a, dtype=np.float32)).permute(2, 0, 1)
            n += 1
        stack = stack[:n]

        def fn(t: torch.Tensor) -> torch.Tensor:
            return torch.cat(self.net(t.reshape(1, n, 3, *t.shape[-2:]), reference_weight=True), 1)

        merged = self.tiler(tile).run(lambda t: self._run(t, fn), stack.reshape(n * 3, h, w), progress)
        out = merged[:3].clamp_(0, 1)
        share = merged[3]
        if self.fallback is not None:
            out = self._guard(out, share, stack[0])
        ref = frames[0]
        pixels = self.rgb_out(out, ref.channels)
        alpha = ref.alpha
        if alpha is not None and self.scale > 1:
            alpha = F.interpolate(alpha[None], scale_factor=self.scale, mode="bilinear", align_corners=False)[0]
        res = ref.with_pixels(pixels, None if alpha is None else alpha.clamp(0, 1))
        res.meta["burst_frames_used"] = n
        return res

    def _guard(self, out: torch.Tensor, share: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
        """``out`` with the :func:`fallback_weight` regions taken from the denoised reference frame ``ref``."""
        s = self.scale
        sigma = float(np.mean([estimate_noise_sigma(c.double().numpy()) for c in ref]))

        def to_ref_grid(t: torch.Tensor) -> torch.Tensor:      # C×H×W at the output scale → the frames' grid
            return F.avg_pool2d(t[None], s)[0] if s > 1 else t

        wgt = fallback_weight(ghost_weight(to_ref_grid(out), ref, sigma), to_ref_grid(share[None])[0])
        hit = torch.nonzero(wgt > 0)
        if not len(hit):
            return out
        h, w = ref.shape[-2:]
        pad = 32                                        # context for the denoiser around the regions it fills
        y0, x0 = [max(0, int(v) - pad) // 2 * 2 for v in hit.min(0).values]
        y1, x1 = [min(n, int(v) + pad + 1) for v, n in zip(hit.max(0).values, (h, w))]
        sig = min(sigma * 255, MAX_SIGMA)
        single = self.fallback(Image(ref[:, y0:y1, x0:x1]), sigma=sig).pixels
        crop = (slice(None), slice(y0 * s, y1 * s), slice(x0 * s, x1 * s))
        if s > 1:
            single = F.interpolate(single[None], scale_factor=s, mode="bicubic", align_corners=False)[0].clamp(0, 1)
            wgt = F.interpolate(wgt[None, None], scale_factor=s, mode="nearest")[0, 0]
        wc = wgt[y0 * s:y1 * s, x0 * s:x1 * s]
        out[crop] = out[crop] * (1 - wc) + single * wc
        return out


SPEC = register_task(TaskSpec(
    name="burst", model=BurstModel, default="burst-x1", what="burst", train="train burst",
    recipe="restore.recipes.burst:BurstRecipe", trainer="restore.recipes.burst:train_burst", needs=("denoise",),
    limits="Burst fusion trained on synthetic handheld bursts (shifts up to 4 px, rotations up to 1°, Gaussian noise "
           "σ 0-50, moving objects) aligned by their known motion plus a small error; at run time frames are "
           "aligned with OpenCV ECC (Euclidean). Small (CPU-trained) model."))
