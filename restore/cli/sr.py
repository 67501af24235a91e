"""``restore sr``: super-resolution of files and folders, ×2/×3/×4 or any scale or size."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Union

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, check_outputs, report, run_batch
from restore.cli.common import model_call, model_options, parse_tile

_NUM = r"\d+(?:\.\d+)?"


def parse_scale(value: str) -> Union[float, tuple[float, float]]:
    """'4', '2.5' or 'HxV' (horizontal × vertical, like --size) → a scale or a (vertical, horizontal) pair."""
    m = re.fullmatch(rf"({_NUM})(?:[x×]({_NUM}))?", value.strip())
    if not m:
        raise click.BadParameter(f"{value!r} is not a scale such as 4, 2.5 or 3x2", param_hint="--scale")
    if m.group(2) is None:
        return float(m.group(1))
    return float(m.group(2)), float(m.group(1))


def parse_size(value: Optional[str]) -> Optional[tuple[int, int]]:
    """'1920x1080' (width × height) → (height, width)."""
    if value is None:
        return None
    m = re.fullmatch(r"(\d+)[x×](\d+)", value.strip())
    if not m or min(int(m.group(1)), int(m.group(2))) < 1:
        raise click.BadParameter(f"{value!r} is not a size such as 1920x1080", param_hint="--size")
    return int(m.group(2)), int(m.group(1))


@cli.command("sr")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-s", "--scale", default="4", show_default=True,
              help="Upscaling factor: 2, 3 or 4 (fixed-scale models), any scale from 1 to 4 such as 2.5, or "
                   "HxV for different horizontal and vertical scales (arbitrary-scale model).")
@click.option("--size", default=None, help="Output size WIDTHxHEIGHT instead of a scale (×1 to ×4 per side).")
@click.option("--degradation", type=click.Choice(["auto", "clean", "real"]), default="auto", show_default=True,
              help="What the inputs suffered: auto chooses per image (JPEG files and 8x8 blocking: JPEG-artefact "
                   "removal, then the clean model; else the clean model alone), clean or real (every image as a JPEG).")
@click.option("-v", "--verbose", is_flag=True, help="A line per image saying which model ran and why.")
@model_options
@batch_options(cluster=True)
def sr_command(inputs, scale, size, degradation, verbose, model, tile, threads, precision, output, recursive, suffix,
               ext, skip_existing, overwrite, quality, quiet, workers, scheduler, manifest) -> None:
    """Upscale images (files or folders); writes NAME_x4.png (NAME_1920x1080.png with --size) beside each input.
    JPEG inputs lose their artefacts before upscaling, clean ones go straight to the clean model (--degradation)."""
    factor, out_size = parse_scale(scale), parse_size(size)
    tile = parse_tile(tile)
    label = f"_{size}" if size else "_x" + scale.strip().replace("×", "x")
    opts = BatchOptions(output=output, recursive=recursive, suffix=label if suffix is None else suffix,
                        ext=ext, skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality,
                        workers=workers, scheduler=scheduler, manifest=manifest, verbose=verbose)
    check_outputs(inputs, opts)                     # a bad -o or --ext: before torch is even imported

    from restore.api import sr_model
    from restore.formats import ImageError, first_line
    from restore.runtime import set_threads

    set_threads(threads)
    try:
        m, options = sr_model(factor if out_size is None else None, out_size, model, precision, degradation)
    except ImageError as e:                         # an unreadable or refused model file
        raise click.ClickException(str(e)) from None
    except (ValueError, KeyError) as e:
        raise click.UsageError(first_line(e)) from None
    load_kw = {"precision": precision} | ({"scale": m.scale} if not options else {})
    call = model_call(m, threads, opts, load=load_kw, call={"tile": tile} | options)
    res = run_batch(list(inputs), opts, call)
    report(res, quiet)
