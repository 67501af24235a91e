"""Tiny, randomly weighted instances of every registered network and task model: the contract tests' matrix.

A new architecture or task fails ``test_every_*_has_a_tiny_case`` until it gets a line here."""
from __future__ import annotations

from types import SimpleNamespace

import torch

from restore.registry import ARCHS

SWIN = {"channels": 12, "blocks": 1, "depth": 2, "heads": 2, "window": 4}
RES = {"channels": 8, "blocks": 2}

# (arch, build kwargs) per case id; several cases may share an architecture (conv and transformer bodies)
ARCH_CASES = {
    "srnet-res": ("srnet", {"body_kwargs": RES, "scales": [2, 3]}),
    "srnet-swin": ("srnet", {"body": "swin", "body_kwargs": SWIN, "scales": [2, 3]}),
    "sranynet-res": ("sranynet", {"body_kwargs": RES, "hidden": 16}),
    "denoisenet-res": ("denoisenet", {"body_kwargs": RES, "estimator_channels": 8}),
    "denoisenet-swin": ("denoisenet", {"body": "swin", "body_kwargs": SWIN, "estimator_channels": 8}),
    "dejpegnet-res": ("dejpegnet", {"body_kwargs": RES, "estimator_channels": 8}),
    "demosaicnet-res": ("demosaicnet", {"body_kwargs": RES, "estimator_channels": 8}),
    "globalnet-res": ("globalnet", {"body_kwargs": RES, "conditions": 3, "global_channels": 4, "global_size": 32}),
    "globalnet-plain": ("globalnet", {"body_kwargs": RES, "global_channels": 4, "global_size": 32}),
    "burstnet-res": ("burstnet", {"body_kwargs": RES, "frame_channels": 8}),
    "codec-tiny": ("codec", {"transform": "gdn", "channels": 16, "latent": 32, "slices": [4, 4, 8, 16],
                             "hyper_channels": 16, "z_channels": 8, "lambdas": [0.002, 0.01, 0.05],
                             "context_hidden": 32}),
}

# task → (arch case, scale an alias would fix or None); the codec tiles itself (tests/codecs cover it)
TASK_CASES = {
    "sr": ("srnet-res", 3),
    "sr-any": ("sranynet-res", None),
    "denoise": ("denoisenet-res", None),
    "dejpeg": ("dejpegnet-res", None),
    "demosaic": ("demosaicnet-res", None),
    "weather": ("globalnet-res", None),
    "dereflect": ("globalnet-plain", None),
    "burst": ("burstnet-res", None),
}
# the transformer bodies through the tasks that ship one
BODY_VARIANTS = [("sr", "srnet-swin"), ("denoise", "denoisenet-swin")]
NOT_TILED = {"codec": "codes independent tiles with its own overlap and cross-fade (tests/codecs)"}


def build(case: str, seed: int = 0) -> torch.nn.Module:
    """The case's network with every parameter drawn at random (an untrained tail would return its input, and
    any tiling would look exact)."""
    arch, kwargs = ARCH_CASES[case]
    torch.manual_seed(seed)
    net = ARCHS.build(arch, **kwargs).eval()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return net


def task_model(task: str, precision: str = "fp32", net: torch.nn.Module | None = None):
    """The task's model class built around a tiny network through the registry's constructor contract."""
    from restore.tasks.spec import task_spec

    case, scale = TASK_CASES[task]
    net = net if net is not None else build(case)
    entry = SimpleNamespace(id=f"{case}-test", task=task, scales=ARCH_CASES[case][1].get("scales", [1]))
    return task_spec(task).build(net, entry, precision, scale)
