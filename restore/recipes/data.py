"""Training images: discovery, a deterministic train/validation split, and in-memory loading."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from PIL import Image as PILImage

__all__ = ["IMAGE_EXTS", "find_images", "split_train_val", "load_rgb_u8", "centre_crop", "default_train_dirs",
           "CropData", "load_crop_data"]

IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}


def default_train_dirs() -> list[Path]:
    """``../shared/data/train/*`` next to the checkout (never ``bench/``)."""
    root = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "train"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def find_images(dirs: list[Path]) -> list[Path]:
    """All image files under ``dirs``, sorted, refusing anything under a ``bench`` folder."""
    out: list[Path] = []
    for d in dirs:
        d = Path(d)
        if "bench" in d.resolve().parts:
            raise ValueError(f"refusing to train on benchmark data: {d}")
        out.extend(p for p in d.rglob("*") if p.suffix.lower() in IMAGE_EXTS)
    return sorted(out)


def split_train_val(paths: list[Path], val_fraction: float = 0.05) -> tuple[list[Path], list[Path]]:
    """Deterministic split by a hash of the file name, stable as files are added."""
    train, val = [], []
    for p in paths:
        h = int(hashlib.sha256(p.name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        (val if h < val_fraction else train).append(p)
    if not val and len(train) > 1:      # tiny folders: still hold one image out
        val.append(train.pop())
    return train, val


def load_rgb_u8(path: Path) -> torch.Tensor:
    """Read an image as a 3×H×W uint8 tensor (gray is replicated, alpha dropped)."""
    with PILImage.open(path) as im:
        arr = np.asarray(im.convert("RGB"))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).contiguous()


def centre_crop(im: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """The centred ``h``×``w`` window of a C×H×W image (a view)."""
    top, left = (im.shape[-2] - h) // 2, (im.shape[-1] - w) // 2
    return im[:, top:top + h, left:left + w]


@dataclass
class CropData:
    """Training images (uint8, in memory), validation centre crops (float, [0, 1]) and facts for the manifest."""
    train: list
    val: list
    facts: dict


def load_crop_data(dirs: list[Path], val_crop: int, multiple: int, log: Callable[[str], None],
                   val_fraction: float = 0.05) -> CropData:
    """Split ``dirs`` into training images and validation centre crops of ``val_crop`` pixels (smaller
    images: their largest square, rounded down to ``multiple``)."""
    train_paths, val_paths = split_train_val(find_images(dirs), val_fraction)
    log(f"{len(train_paths)} training images, {len(val_paths)} held out for validation")
    val = []
    for p in val_paths:
        im = load_rgb_u8(p)
        h, w = im.shape[-2:]
        c = min(val_crop, h, w) // multiple * multiple
        if c:
            val.append(centre_crop(im, c, c).float() / 255)
    facts = {"train_images": len(train_paths), "val_images": len(val_paths),
             "data": sorted({str(p.parent.name) for p in train_paths})}
    return CropData([load_rgb_u8(p) for p in train_paths], val, facts)
