"""A tiny trained-and-baked codec for tests (and for the committed format-v1 sample)."""
from __future__ import annotations

from pathlib import Path

import torch

from helpers import EXAMPLES  # noqa: E402,F401

TINY = {"transform": "gdn", "channels": 16, "latent": 32, "slices": (4, 4, 8, 16), "hyper_channels": 16,
        "z_channels": 8, "lambdas": (0.002, 0.01, 0.05), "context_hidden": 32}


def make_tiny_codec(root: Path, model_id: str = "codec-tiny", seed: int = 0, steps: int = 40):
    """Train a tiny codec for a few steps on the bundled photo (so its scales vary), bake and register it."""
    from restore.codecs.model import CodecNet
    from restore.io import read_image
    from restore.recipes.codec import rd_loss
    from restore.weights import Manifest, ModelEntry, save_state

    torch.manual_seed(seed)
    net = CodecNet(**TINY)
    img = read_image(EXAMPLES / "astronaut.png").pixels
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    lam = torch.tensor(TINY["lambdas"])
    for i in range(steps):
        y, x = (i * 37) % 384, (i * 53) % 384
        batch = torch.stack([img[:, y:y + 128, x:x + 128], img[:, x:x + 128, y:y + 128]])
        level = torch.tensor([i % 3, (i + 1) % 3])
        loss, _, _ = rd_loss(net(batch, level.float() + 1), batch, lam[level])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval().bake()
    root.mkdir(parents=True, exist_ok=True)
    digest = save_state(net, root / f"{model_id}.safetensors")
    kwargs = {k: list(v) if isinstance(v, tuple) else v for k, v in net.arch_spec[1].items()}
    Manifest(root).upsert(ModelEntry(id=model_id, task="codec", arch="codec", kwargs=kwargs,
                                     file=f"{model_id}.safetensors", sha256=digest, aliases=["codec"]))
    return net
