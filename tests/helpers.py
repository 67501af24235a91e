"""Paths shared by the tests (a module of its own: each test folder has its own ``conftest``)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BENCH = ROOT.parent / "shared" / "data" / "bench"


def train_folder(root: Path, count: int, height: int, width: int, step: tuple[int, int] = (20, 40)):
    """A folder of ``count`` overlapping crops of the bundled coffee photo, as a tiny training set;
    returns (folder, the full photo as an H×W×3 uint8 array)."""
    import numpy as np
    from PIL import Image as PILImage

    d = root / "train"
    d.mkdir()
    src = np.asarray(PILImage.open(EXAMPLES / "coffee.png").convert("RGB"))
    for i in range(count):
        y, x = i * step[0], i * step[1]
        PILImage.fromarray(src[y:y + height, x:x + width]).save(d / f"img{i}.png")
    return d, src


def install_model(root: Path, net, model_id: str, task: str, aliases: list, scales: list = ()) -> None:
    """Save ``net`` into the weights folder ``root`` (created) as a manifest entry of ``task``."""
    from restore.weights import Manifest, ModelEntry, save_state

    root.mkdir(parents=True, exist_ok=True)
    digest = save_state(net, root / f"{model_id}.safetensors")
    Manifest(root).upsert(ModelEntry(id=model_id, task=task, arch=net.arch_spec[0], kwargs=net.arch_spec[1],
                                     file=f"{model_id}.safetensors", sha256=digest, aliases=list(aliases),
                                     scales=list(scales)))
