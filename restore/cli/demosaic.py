"""``restore demosaic``: Bayer mosaics (PNG/TIFF, or camera RAW with rawpy) to RGB, for files and folders."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, check_outputs, report, run_batch
from restore.cli.common import load_task_model, model_options, parse_tile
from restore.formats import PATTERNS


def _read_mask(path: Path):
    """A missing-pixel mask file (nonzero = missing) as an H×W bool tensor; a one-line error otherwise."""
    from restore.io import ImageError, read_image

    try:
        m = read_image(path, orient=False)
    except ImageError as e:
        raise click.BadParameter(str(e), param_hint="--mask") from None
    return (m.pixels > 0).any(0)


@cli.command("demosaic")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pattern", type=click.Choice(PATTERNS, case_sensitive=False), default="RGGB", show_default=True,
              help="Bayer layout of the top-left 2×2 sites (RAW files carry their own).")
@click.option("--mask", "mask_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Image marking sites without a measurement (nonzero = missing), same size as the mosaics.")
@click.option("--sigma", type=click.FloatRange(0, 50), default=None,
              help="Noise level of the mosaic in 8-bit units; default: estimated (0 for clean data).")
@model_options
@batch_options
def demosaic_command(inputs, pattern, mask_path, sigma, model, tile, threads, precision, output, recursive, suffix,
                     ext, skip_existing, overwrite, quality, quiet) -> None:
    """Demosaic single-channel Bayer images (8/16-bit PNG/TIFF) or RAW files; writes NAME_rgb.png by default.

    RAW files (DNG, CR2, NEF, ARW, ...; needs `pip install 'restore[raw]'`) are white-balanced, demosaiced and
    developed to 16-bit sRGB.
    """
    tile = parse_tile(tile)
    opts = BatchOptions(output=output, recursive=recursive, suffix="_rgb" if suffix is None else suffix, ext=ext,
                        skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality)
    check_outputs(inputs, opts)                     # a bad -o or --ext: before torch is even imported

    from restore.io import READ_EXTS, apply_orientation_image, read_image
    from restore.rawfile import RAW_EXTS, develop, read_raw
    from restore.runtime import set_threads

    opts.in_exts = frozenset(READ_EXTS | RAW_EXTS)
    set_threads(threads)
    mask = _read_mask(mask_path) if mask_path else None
    m = load_task_model(model, "demosaic", precision)

    def read(path: Path):
        if path.suffix.lower() in RAW_EXTS:
            raw = read_raw(path)
            return raw.image, raw.pattern, raw.cam_to_srgb
        return read_image(path, orient=False), pattern, None

    def run(item, progress):
        img, pat, cam_to_srgb = item
        out = m(img, pattern=pat, mask=mask, sigma=sigma, tile=tile, progress=progress)
        if cam_to_srgb is not None:
            return develop(out, cam_to_srgb)
        return apply_orientation_image(out, img.meta.get("orientation", 1))

    report(run_batch(list(inputs), opts, run, read=read), quiet)
