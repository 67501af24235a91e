"""Whole-scene restoration tasks around :class:`GlobalNet`: weather removal and reflection removal."""
from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from restore.degrade import linear_to_srgb, srgb_to_linear
from restore.formats import WEATHER
from restore.io import Image
from restore.tasks.base import TaskModel
from restore.tasks.spec import TaskSpec, register_task
from restore.archs.globalnet import GlobalNet

__all__ = ["WEATHER", "SceneModel", "reflection_layer", "WEATHER_SPEC", "DEREFLECT_SPEC"]



def reflection_layer(photo: torch.Tensor, transmission: torch.Tensor) -> torch.Tensor:
    """What the glass added: the photo minus the transmission, in linear light, back in sRGB."""
    return linear_to_srgb((srgb_to_linear(photo) - srgb_to_linear(transmission)).clamp(0, 1))


class SceneModel(TaskModel):
    """Removes a whole-scene degradation; ``kinds`` names the conditions the network was trained with."""

    multiple = 2

    def __init__(self, net: GlobalNet, precision: str = "auto", entry=None, kinds: tuple[str, ...] = ()):
        super().__init__(net, precision, entry)
        if len(kinds) != net.conditions:
            raise ValueError(f"network has {net.conditions} conditions but {len(kinds)} kinds were named")
        self.kinds = tuple(kinds)

    @classmethod
    def build(cls, net: GlobalNet, entry, precision: str = "auto", scale: Optional[int] = None) -> "SceneModel":
        return cls(net, precision, entry, kinds=WEATHER if entry.task == "weather" else ())

    def condition(self, kind: Optional[str]) -> Optional[torch.Tensor]:
        """One-hot condition for ``kind`` (None: any degradation the model knows)."""
        if kind is None or not self.kinds:
            return None
        if kind not in self.kinds:
            raise ValueError(f"unknown degradation {kind!r}; this model removes {', '.join(self.kinds)}")
        return torch.eye(len(self.kinds))[self.kinds.index(kind)][None]

    def restore_tensor(self, x: torch.Tensor, kind: Optional[str] = None, tile: Union[int, str, None] = "auto",
                       progress: Optional[Callable[[int, int], None]] = None) -> torch.Tensor:
        """3×H×W in [0, 1] → restored 3×H×W: the context from the whole image once, then tile by tile."""
        cond = self.condition(kind)
        full = tuple(x.shape[-2:])
        ctx = self._run(x[None], lambda t: self.net.global_context(t, cond))

        def fn(t: torch.Tensor, origin: tuple[int, int]) -> torch.Tensor:
            return self._run(t, lambda u: self.net(u, ctx, origin, full, cond))

        return self.tiler(tile).run(fn, x, progress, with_origin=True).clamp_(0, 1)

    def __call__(self, img: Image, kind: Optional[str] = None, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None, layer: bool = False):
        """The restored image; with ``layer`` also the removed layer (what the glass or weather added)."""
        if img.channels not in (1, 3):
            raise ValueError(f"expected 1 or 3 colour channels, got {img.channels}")
        rgb = self.rgb_in(img.pixels)
        out = self.restore_tensor(rgb, kind, tile, progress)
        alpha = None if img.alpha is None else img.alpha.clone()
        res = img.with_pixels(self.rgb_out(out, img.channels), alpha)
        if not layer:
            return res
        return res, img.with_pixels(self.rgb_out(reflection_layer(rgb, out), img.channels), None)


WEATHER_SPEC = register_task(TaskSpec(
    name="weather", model=SceneModel, default="weather", what="weather removal", train="train weather",
    recipe="restore.recipes.scene:SceneRecipe", trainer="restore.recipes.scene:train_scene",
    limits="All-weather model (rain streaks and veil, haze by the scattering model, snow) trained on synthetic "
           "degradations of clean photos; derain/dehaze/desnow pass the kind, deweather lets it decide. "
           "Small (CPU-trained) model."))
DEREFLECT_SPEC = register_task(TaskSpec(
    name="dereflect", model=SceneModel, default="dereflect", what="reflection removal", train="train dereflect",
    recipe="restore.recipes.scene:SceneRecipe", trainer="restore.recipes.scene:train_scene",
    limits="Reflection removal trained on synthetic glass photos (a blurred, attenuated, sometimes ghosted second "
           "photo added in linear light). Small (CPU-trained) model."))
