"""The Python API: load models from the manifest and run tasks on any image-like input."""
from __future__ import annotations

import os
import threading
from typing import Any, Optional, Union

from restore.convert import from_image, to_image
from restore.formats import is_model_file
from restore.observe import noted_model
from restore.weights import Manifest, ModelEntry, build_model

__all__ = ["load", "sr", "sr_model", "denoise", "dejpeg", "demosaic", "dereflect", "derain", "dehaze", "desnow",
           "deweather", "fuse_burst", "list_models", "encode", "decode", "codec_for", "DEFAULT_CODEC"]

DEFAULT_CODEC = "codec"

_cache: dict = {}
_cache_lock = threading.Lock()


def list_models() -> list[ModelEntry]:
    """Every model in ``weights/manifest.json``."""
    return list(Manifest().entries)


def load(name: str, scale: Optional[int] = None, precision: str = "auto", compile: bool = False):
    """A reusable, thread-safe model object for a manifest id or alias (``"sr-x4"``).

    The weights' sha256 is checked against the manifest and keys must match exactly. ``compile``: run the
    network through ``torch.compile`` (the first call of each tile shape compiles; see BENCHMARKS.md for when
    it pays).
    """
    from restore.tasks.spec import task_specs

    if is_model_file(name):
        return _load_file(name, precision)
    entry, alias_scale = Manifest().resolve(name)
    spec = task_specs().get(entry.task)
    if spec is None:
        raise ValueError(f"model {entry.id!r} has task {entry.task!r}, which this version cannot run")
    if compile and spec.no_compile:
        raise ValueError(f"the {spec.what} cannot be compiled: {spec.no_compile}")
    scale = scale or alias_scale
    key = (entry.id, entry.sha256, scale, precision, compile)
    noted_model(entry.id)
    with _cache_lock:
        if key in _cache:
            return _cache[key]
        model = spec.build(build_model(entry), entry, precision, scale)
        if compile:
            model.compile()
        _cache[key] = model
        return model


def _load_file(name: Union[str, "os.PathLike"], precision: str):
    """A community model file (:mod:`restore.external`), cached by path, size and modification time."""
    from restore.external import load_external

    p = os.path.abspath(os.path.expanduser(os.fspath(name)))
    st = os.stat(p) if os.path.isfile(p) else None
    key = ("file", p, st and (st.st_size, st.st_mtime_ns), precision)
    with _cache_lock:
        if key not in _cache or st is None:
            _cache[key] = load_external(p, precision)
        return _cache[key]


DEGRADATIONS = ("auto", "clean", "real")


def _fixed_scale_sr(s: int, degradation: str, precision: str) -> Any:
    """The ×``s`` route for ``degradation``: ``sr-x{s}`` (clean); the JPEG route, dejpeg then ``sr-x{s}`` (or a
    real-input ``sr-real-x{s}`` where no dejpeg model is installed), for every image (real); or each image to
    the route that suits it (auto: :class:`restore.tasks.sr_auto.AutoSR`)."""
    if degradation not in DEGRADATIONS:
        raise ValueError(f"degradation must be one of {', '.join(DEGRADATIONS)}, not {degradation!r}")
    clean = load(f"sr-x{s}", scale=s, precision=precision)
    if degradation == "clean":
        return clean

    def optional(name: str, **kw):
        try:
            return load(name, precision=precision, **kw)
        except KeyError:
            return None

    real, dejpeg = optional(f"sr-real-x{s}", scale=s), optional("dejpeg")
    if real is None and dejpeg is None:
        if degradation == "real":
            raise KeyError(f"the real-input route needs a dejpeg model (restore train dejpeg) or a real-input ×{s} "
                           f"SR model (restore train sr --degradation real); neither is installed")
        return clean
    from restore.tasks.sr_auto import AutoSR

    return AutoSR(clean, real, dejpeg, force="jpeg" if degradation == "real" else None)


def sr_model(scale: Union[float, tuple[float, float], None] = 4, size: Optional[tuple[int, int]] = None,
             model: Optional[str] = None, precision: str = "auto", degradation: str = "auto") -> tuple[Any, dict]:
    """(task model, its call options) for a scale or an output size.

    A whole scale of 2, 3 or 4 with no ``size`` runs the fixed-scale models of that scale, by ``degradation``:
    the clean one (``sr-x4``…), the JPEG route for every image ("real") or, "auto", each image the route that
    suits it (see :func:`_fixed_scale_sr` and :mod:`restore.tasks.sr_auto`). Any other scale from 1 to 4, a
    (vertical, horizontal) pair or an exact ``size`` = (H, W) runs the arbitrary-scale model (``sr-any``).
    ``model`` overrides the choice with a manifest id or alias, or names a community model file.
    """
    from restore.archs.sranynet import MAX_SCALE

    if size is None:
        for s in (scale if isinstance(scale, tuple) else (scale,)):
            if not 1 <= float(s) <= MAX_SCALE:
                raise ValueError(f"scale must be between 1 and {MAX_SCALE:g}, not {float(s):g}")
    whole = size is None and isinstance(scale, (int, float)) and float(scale) in (2.0, 3.0, 4.0)
    if model is not None and is_model_file(model):
        from restore.external import check_fits

        m = load(model, precision=precision)
        if size is not None or isinstance(scale, tuple):
            raise ValueError(f"{m.id} upscales by {m.scale} only; --size and uneven scales need sr-any")
        check_fits(m, "sr", scale)
        return m, {}
    if model is not None:
        entry, _ = Manifest().resolve(model)
        if entry.task not in ("sr", "sr-any"):
            raise ValueError(f"{model!r} is not a super-resolution model")
        whole = entry.task == "sr"
        if whole and (size is not None or not isinstance(scale, (int, float)) or float(scale) % 1):
            raise ValueError(f"{model!r} upscales by {', '.join(map(str, entry.scales))} only; "
                             f"use an arbitrary-scale model (sr-any) for other scales or sizes")
    if whole:
        s = int(scale)
        if model is not None:
            return load(model, scale=s, precision=precision), {}
        return _fixed_scale_sr(s, degradation, precision), {}
    if degradation == "real":
        raise ValueError("the real-input route upscales by 2, 3 or 4; other scales and sizes have the clean "
                         "arbitrary-scale model only")
    try:
        m = load(model or "sr-any", precision=precision)
    except KeyError:
        raise KeyError("no arbitrary-scale SR model is installed yet: train one with `restore train sr-any`") \
            from None
    return m, {"scale": None if size is not None else scale, "size": size}


def sr(img: Any, scale: Union[float, tuple[float, float]] = 4, model: Optional[str] = None,
       tile: Union[int, str] = "auto", precision: str = "auto", size: Optional[tuple[int, int]] = None,
       degradation: str = "auto") -> Any:
    """Super-resolve ``img`` (path, numpy H×W×C uint8/uint16/float, PIL image, C×H×W tensor or Image).

    ``scale``: 2, 3 or 4 (the fixed-scale models), or any scale from 1 to 4, also a (vertical, horizontal)
    pair; or ``size`` = (height, width) of the output (see :func:`sr_model`). ``degradation``: "auto" sends JPEGs
    through the artefact remover before the clean model and the rest straight to it (a returned
    :class:`restore.io.Image` names what ran in ``meta["model"]``); "clean" or "real" force one route.
    Returns the same kind of object it was given (a path gives a :class:`restore.io.Image`).
    """
    m, options = sr_model(scale, size, model, precision, degradation)
    image, how = to_image(img)
    return from_image(m(image, tile=tile, **options), how)


def denoise(img: Any, sigma: Optional[float] = None, model: Optional[str] = None, tile: Union[int, str] = "auto",
            precision: str = "auto", strength: float = 1.0, noise: str = "auto") -> Any:
    """Remove noise from ``img`` (any image-like input; returns the same kind). ``sigma`` is the noise
    standard deviation in 8-bit units (0-75); None estimates it per pixel (blind). ``strength`` below 1 keeps
    that share of the noise (some grain). Without ``model``, ``noise`` picks one: "camera", "gaussian", or
    "auto" (the camera-noise model when blind, the Gaussian one with ``sigma``;
    :func:`restore.tasks.denoise.default_denoiser`)."""
    from restore.tasks.denoise import default_denoiser

    m = load(model or default_denoiser(sigma, noise), precision=precision)
    image, how = to_image(img)
    return from_image(m(image, sigma=sigma, tile=tile, strength=strength), how)


def dejpeg(img: Any, quality: Optional[float] = None, model: Optional[str] = None, tile: Union[int, str] = "auto",
           precision: str = "auto") -> Any:
    """Remove JPEG artefacts from ``img`` (any image-like input; returns the same kind). ``quality``: the JPEG
    quality it was saved at (1-100); None reads it from a JPEG file's tables or estimates it from the pixels.
    A returned :class:`restore.io.Image` says in ``meta`` the quality used and where it came from."""
    m = load(model or "dejpeg", precision=precision)
    image, how = to_image(img)
    return from_image(m(image, quality=quality, tile=tile), how)


def demosaic(raw: Any, pattern: str = "RGGB", mask: Any = None, sigma: Optional[float] = None,
             model: Optional[str] = None, tile: Union[int, str] = "auto", precision: str = "auto") -> Any:
    """Demosaic a single-channel Bayer mosaic (path, H×W array, PIL image, 1×H×W tensor or Image) into RGB;
    returns the same kind of object (a path gives an Image).

    ``pattern`` is the layout of the top-left 2×2 sites; ``mask`` (H×W, nonzero = missing) marks sites without
    a measurement; ``sigma`` the noise level in 8-bit units (None: estimated, 0 for clean data).
    """
    import numpy as np
    import torch

    from restore.io import read_image

    m = load(model or "demosaic", precision=precision)
    if isinstance(raw, (str, os.PathLike)):
        image, how = read_image(raw, orient=False), {"kind": "image"}
    else:
        image, how = to_image(raw)
    if mask is not None:
        mask = torch.as_tensor(np.asarray(mask) if not isinstance(mask, torch.Tensor) else mask)
    return from_image(m(image, pattern=pattern, mask=mask, sigma=sigma, tile=tile), how)


def _scene(alias: str, kind: Optional[str], img: Any, model: Optional[str], tile, precision: str,
           layer: bool = False) -> Any:
    m = load(model or alias, precision=precision)
    image, how = to_image(img)
    if layer:
        out, removed = m(image, kind=kind, tile=tile, layer=True)
        return from_image(out, how), from_image(removed, how)
    return from_image(m(image, kind=kind, tile=tile), how)


def dereflect(img: Any, layer: bool = False, model: Optional[str] = None, tile: Union[int, str] = "auto",
              precision: str = "auto") -> Any:
    """Remove reflections from a photo taken through glass (same kind of object back); with ``layer`` returns
    (transmission, reflection)."""
    return _scene("dereflect", None, img, model, tile, precision, layer)


def derain(img: Any, model: Optional[str] = None, tile: Union[int, str] = "auto", precision: str = "auto") -> Any:
    """Remove rain streaks and the rain veil."""
    return _scene("weather", "rain", img, model, tile, precision)


def dehaze(img: Any, model: Optional[str] = None, tile: Union[int, str] = "auto", precision: str = "auto") -> Any:
    """Remove haze."""
    return _scene("weather", "haze", img, model, tile, precision)


def desnow(img: Any, model: Optional[str] = None, tile: Union[int, str] = "auto", precision: str = "auto") -> Any:
    """Remove falling snow."""
    return _scene("weather", "snow", img, model, tile, precision)


def deweather(img: Any, model: Optional[str] = None, tile: Union[int, str] = "auto",
              precision: str = "auto") -> Any:
    """Remove rain, haze or snow, whichever the photo shows."""
    return _scene("weather", None, img, model, tile, precision)


def fuse_burst(frames: list, scale: int = 1, model: Optional[str] = None, tile: Union[int, str] = "auto",
               precision: str = "auto") -> Any:
    """Align handheld frames (paths, arrays, PIL images, tensors or Images; the first is the reference) and
    merge them into one clean image, ×``scale`` larger (1, 2 or 4); returns the kind of the first frame."""
    m = load(model or f"burst-x{scale}", precision=precision)
    images = [to_image(f) for f in frames]
    out = m([im for im, _ in images], tile=tile)    # checks the count (at least 2) and the sizes
    return from_image(out, images[0][1])


def encode(img: Any, quality: float = 4.0, target_bpp: Optional[float] = None, model: Optional[str] = None,
           tile: int = 1024, overlap: int = 16, precision: str = "auto", effort: int = 1) -> bytes:
    """Compress an image-like input with the learned codec; returns the ``.rst`` file's bytes.

    ``quality`` runs from the model's lowest (0 for the default model) to its highest (8), fractions allowed;
    ``target_bpp`` instead searches the highest quality that fits that many bits per pixel. ``precision``
    applies to the float transforms only (the entropy model is always exact fixed point). ``effort`` 2-5
    searches each tile for cheaper latents (slower; the files decode like any other).
    """
    image, _ = to_image(img)
    codec = load(model or DEFAULT_CODEC, precision=precision)
    return codec.encode(image, quality=quality, target_bpp=target_bpp, tile=tile, overlap=overlap, effort=effort)


def decode(data: Union[bytes, str, "os.PathLike"], region: Optional[tuple[int, int, int, int]] = None,
           precision: str = "auto"):
    """Decode ``.rst`` bytes (or a path to a file) into a :class:`restore.io.Image`.

    The model is the one named in the file; ``region`` = (x, y, w, h) decodes only that rectangle.
    ``precision`` applies to the synthesis transform only: the decoded symbols are the same either way.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        with open(data, "rb") as f:
            data = f.read()
    data = bytes(data)
    return codec_for(data, precision).decode(data, region=region)


def codec_for(data: bytes, precision: str = "auto"):
    """The installed codec named in a ``.rst`` file's header (a one-line error if it is not installed)."""
    from restore.codecs.container import CodecFormatError, unpack
    from restore.weights import RetiredModelError

    header, _ = unpack(data)
    try:
        return load(header.model_id, precision=precision)
    except RetiredModelError as e:
        raise CodecFormatError(f"file was coded with a retired model: {e}") from None
    except KeyError:
        raise CodecFormatError(f"file needs codec model {header.model_id!r}, which is not installed") from None
