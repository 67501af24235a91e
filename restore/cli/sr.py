"""``restore sr``: super-resolution of files and folders."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, report, run_batch
from restore.cli.common import model_call, model_options, parse_tile


@cli.command("sr")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-s", "--scale", type=click.Choice(["2", "3", "4"]), default="4", show_default=True,
              help="Upscaling factor.")
@model_options
@batch_options(cluster=True)
def sr_command(inputs, scale, model, tile, threads, precision, output, recursive, suffix, ext, skip_existing,
               overwrite, quality, quiet, workers, scheduler, manifest) -> None:
    """Upscale images (files or folders) ×2, ×3 or ×4; writes NAME_x4.png beside each input by default."""
    from restore.api import load
    from restore.runtime import set_threads

    scale = int(scale)
    tile = parse_tile(tile)
    set_threads(threads)
    opts = BatchOptions(output=output, recursive=recursive, suffix=f"_x{scale}" if suffix is None else suffix,
                        ext=ext, skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality,
                        workers=workers, scheduler=scheduler, manifest=manifest)
    m = load(model or f"sr-x{scale}", scale=scale, precision=precision)
    call = model_call(m, threads, opts, load={"scale": scale, "precision": precision}, call={"tile": tile})
    res = run_batch(list(inputs), opts, call)
    report(res, quiet)
