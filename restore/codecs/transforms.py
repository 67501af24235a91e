"""Analysis (image → latent) and synthesis (latent → image) transforms, registered by name.

``gdn``: four stride-2 5×5 convs with GDN (Ballé et al.), optionally with the shared ``res`` backbone
(``restore.backbones``) added at 1/8 resolution (``res_blocks``) and at 1/4 resolution (``fine_blocks``).
"""
from __future__ import annotations

import warnings

import torch.nn as nn

from restore.registry import Registry, build_backbone

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from compressai.layers import GDN

__all__ = ["TRANSFORMS", "analysis_synthesis"]

TRANSFORMS: Registry = Registry("codec transform", ("restore.codecs.transforms",))


def _down(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 5, stride=2, padding=2)


def _up(cin: int, cout: int) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(cin, cout, 5, stride=2, padding=2, output_padding=1)


@TRANSFORMS.register("gdn")
def gdn_pair(channels: int, latent: int, res_blocks: int = 0,
             fine_blocks: int = 0) -> tuple[nn.Module, nn.Module]:
    """(analysis, synthesis) with 16× downsampling. ``res_blocks`` adds a res body at 1/8 resolution to each,
    ``fine_blocks`` one at 1/4 resolution (mirrored: the synthesis meets them in the reverse order)."""
    def body(blocks: int) -> list[nn.Module]:
        return [build_backbone("res", channels=channels, blocks=blocks)] if blocks else []

    enc = [_down(3, channels), GDN(channels), _down(channels, channels), GDN(channels), *body(fine_blocks),
           _down(channels, channels), GDN(channels), *body(res_blocks), _down(channels, latent)]
    dec = [_up(latent, channels), *body(res_blocks), GDN(channels, inverse=True), _up(channels, channels),
           GDN(channels, inverse=True), *body(fine_blocks), _up(channels, channels), GDN(channels, inverse=True),
           _up(channels, 3)]
    return nn.Sequential(*enc), nn.Sequential(*dec)


def analysis_synthesis(kind: str, **kwargs) -> tuple[nn.Module, nn.Module]:
    """Build a registered transform pair by name."""
    return TRANSFORMS.get(kind)(**kwargs)
