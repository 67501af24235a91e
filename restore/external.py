"""Community model files (`--model ~/models/4x-UltraSharp.pth`) as a second source of the same model object.

spandrel detects the architecture from the state dict alone (ESRGAN/RRDBNet, SRVGGNetCompact, SPAN, SwinIR, HAT,
DAT, DRUNet, SCUNet, FBCNN, …). The file is read here, never executed: ``.safetensors`` through safetensors,
``.pth``/``.ckpt`` through ``torch.load(weights_only=True)``, which unpickles tensors and plain containers only; a
file that needs more (pickled classes or code, TorchScript) is refused and the message says why. The result is an
:class:`ExternalModel`: a :class:`~restore.tasks.base.TaskModel` with a manifest-like entry (id = the file's path,
task, scale, sha256, licence/author where the file's metadata has them), so batches, tiling, 16-bit, alpha,
ICC/EXIF and dask run as for our own models.

Tiling: tiles start on the model's size multiple and take their context from the image only (no mirrored margin),
so the last tile pads exactly as the whole image does; convolutional networks whose receptive field fits the
overlap are then exact, and window transformers differ slightly near tile edges, where a cross-fade hides it.
"""
from __future__ import annotations

import os
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Optional, Union

import torch

from restore.formats import ImageError
from restore.io import Image
from restore.registry import Descriptor
from restore.tasks.base import TaskModel
from restore.weights import ModelEntry, sha256_file

__all__ = ["read_state_dict", "inspect_file", "load_external", "ExternalModel",
           "check_fits", "OVERLAP", "BLEND"]

OVERLAP = 32           # context around each tile, input pixels (rounded up to the model's multiple)
BLEND = 16             # cross-fade between neighbouring tiles, input pixels (same rounding)
BYTES_PER_PIXEL = 4 * 64 * 8.0   # activations per input pixel for --tile auto: 64 channels, a few alive, fp32
IMAGE_TASKS = ("denoise", "dejpeg")   # the commands a ×1 restoration model may serve


def read_state_dict(path: Path) -> tuple[dict, dict]:
    """(state dict of plain tensors, the file's string metadata) without running anything from the file."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImageError(f"{path}: no such model file")
    if suffix == ".safetensors":
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), "pt") as f:
                return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
        except (SafetensorError, OSError, ValueError) as e:
            raise ImageError(f"{path}: not a readable safetensors file ({str(e).splitlines()[0]})") from None
    if suffix not in (".pth", ".ckpt", ".pt"):
        raise ImageError(f"{path}: model files must be .pth, .ckpt or .safetensors")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            if any(n.endswith("constants.pkl") or "/code/" in n for n in z.namelist()):
                raise ImageError(f"{path}: refused: a TorchScript archive is a program, not weights")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        raise ImageError(f"{path}: refused: the file holds pickled Python objects beyond tensors"
                         f"{f' ({found.group(1)})' if found else ''}, and unpickling them could run code; re-save "
                         f"it as a plain state dict or as .safetensors") from None
    except RuntimeError as e:
        raise ImageError(f"{path}: not a readable PyTorch weights file ({str(e).splitlines()[0]})") from None
    except (OSError, EOFError, ValueError) as e:
        raise ImageError(f"{path}: not a readable PyTorch weights file ({e})") from None
    if not isinstance(data, dict):
        raise ImageError(f"{path}: holds a {type(data).__name__}, not a state dict")
    return data, {}


def _descriptor(path: Path):
    import spandrel

    sd, meta = read_state_dict(path)
    try:
        desc = spandrel.ModelLoader().load_from_state_dict(spandrel.canonicalize_state_dict(sd))
    except spandrel.UnsupportedModelError:
        raise ImageError(f"{path}: spandrel does not recognise this architecture") from None
    except (KeyError, RuntimeError, ValueError, AssertionError) as e:
        raise ImageError(f"{path}: its weights do not fit the architecture spandrel detected "
                         f"({str(e).splitlines()[0][:100]})") from None
    if not isinstance(desc, spandrel.ImageModelDescriptor):
        raise ImageError(f"{path}: a {desc.architecture.name} model ({desc.purpose}) is not an image-to-image model")
    return desc.eval(), meta


def _entry(path: Path, desc, meta: dict) -> ModelEntry:
    task = "sr" if desc.purpose == "SR" or desc.scale > 1 else "restoration"
    lic = meta.get("license") or meta.get("licence") or meta.get("modelspec.license") or "unknown (not in the file)"
    author = meta.get("author") or meta.get("modelspec.author") or ""
    return ModelEntry(id=str(path), task=task, arch=f"spandrel:{desc.architecture.id}", kwargs={}, file=str(path),
                      sha256=sha256_file(path), scales=[desc.scale] if task == "sr" else [], licence=lic,
                      notes=(f"external file, {desc.architecture.name} via spandrel"
                             + (f" ({', '.join(desc.tags)})" if desc.tags else "") + (f"; author: {author}" if author else "")))


def inspect_file(path: Union[str, os.PathLike]) -> dict:
    """What spandrel detects in a model file (``restore models --inspect``)."""
    p = Path(path).expanduser()
    desc, meta = _descriptor(p)
    e = _entry(p, desc, meta)
    req = desc.size_requirements
    return {"file": str(p), "sha256": e.sha256, "architecture": desc.architecture.name, "purpose": desc.purpose,
            "scale": desc.scale, "input_channels": desc.input_channels, "output_channels": desc.output_channels,
            "size_multiple": req.multiple_of, "size_minimum": req.minimum, "square": req.square,
            "tiling": desc.tiling.name.lower(), "bf16": desc.supports_bfloat16, "fp16": desc.supports_half,
            "tags": list(desc.tags), "parameters": sum(t.numel() for t in desc.model.parameters()),
            "licence": e.licence, "metadata": meta}


class ExternalModel(TaskModel):
    """A community model file as a task model (see the module docstring)."""

    tile_pad = "none"          # tiles see the image's own border, as the whole image does
    tile_blend = BLEND

    def __init__(self, desc, entry: ModelEntry, precision: str = "auto"):
        self.spandrel = desc
        m = max(1, desc.size_requirements.multiple_of)
        net = desc.model
        net.descriptor = Descriptor(radius=-(-OVERLAP // m) * m, multiple=m, scales=(desc.scale,),
                                    in_channels=desc.input_channels, bf16_safe=bool(desc.supports_bfloat16),
                                    bytes_per_pixel=BYTES_PER_PIXEL)
        if precision == "auto" and not desc.supports_bfloat16:
            precision = "fp32"            # spandrel marks the architectures whose results bf16 breaks
        super().__init__(net, precision, entry)
        self.scale = desc.scale

    @property
    def id(self) -> str:
        return Path(self.entry.file).name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """spandrel's own call: it pads to the size requirements (reflect) and crops back."""
        if self.spandrel.input_channels == 1:
            return self.spandrel(x.mean(1, keepdim=True)).expand(-1, 3, -1, -1)
        return self.spandrel(x)

    def _run(self, x: torch.Tensor, forward: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        try:       # a normal tensor: spandrel's call returns an inference-mode one, which the tiler writes to
            return super()._run(x, forward).clone()
        except RuntimeError as e:           # e.g. a tile below the model's minimum size
            raise ImageError(f"{self.id}: the model failed on a {x.shape[-1]}×{x.shape[-2]} tile "
                             f"({str(e).splitlines()[0][:100]})") from None

    def __call__(self, img: Image, tile: Union[int, str, None] = "auto",
                 progress: Optional[Callable[[int, int], None]] = None, **options: Any) -> Image:
        given = {k: v for k, v in options.items() if v is not None}
        if given:
            raise ValueError(f"{self.id} is a {self.spandrel.architecture.name} file: it takes no "
                             f"{', '.join('--' + k.replace('_', '-') for k in given)}")
        return super().__call__(img, tile, progress)

    def process_alpha(self, alpha: torch.Tensor) -> torch.Tensor:
        if self.scale == 1:
            return alpha
        from restore.resize import imresize

        return imresize(alpha, float(self.scale))


def load_external(name: Union[str, os.PathLike], precision: str = "auto") -> ExternalModel:
    """The :class:`ExternalModel` of a model file."""
    p = Path(name).expanduser()
    desc, meta = _descriptor(p)
    return ExternalModel(desc, _entry(p.resolve(), desc, meta), precision)


def check_fits(m: ExternalModel, task: str, scale: Optional[float] = None) -> None:
    """A one-line error when a file's model cannot do what the command asks."""
    kind = m.entry.task
    if task == "sr" and kind != "sr":
        raise ValueError(f"{m.id} is a ×1 {m.spandrel.purpose.lower()} model, not an upscaler; run it with a "
                         f"restoration command ({', '.join(IMAGE_TASKS)})")
    if task == "sr" and scale is not None and float(scale) != m.scale:
        raise ValueError(f"{m.id} is a ×{m.scale} model; --scale {scale:g} asked")
    if task != "sr" and kind == "sr":
        raise ValueError(f"{m.id} is a ×{m.scale} upscaling model; use it with `restore sr -s {m.scale}`")
    if task not in ("sr",) + IMAGE_TASKS:
        raise ValueError(f"model files cannot run the {task} task")
