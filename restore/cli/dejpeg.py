"""``restore dejpeg``: JPEG-artefact removal for files and folders (PNG output by default: saving the result as
a JPEG again would add artefacts back)."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, check_outputs, report, run_batch
from restore.cli.common import load_task_model, model_call, model_options, parse_tile


@cli.command("dejpeg")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jpeg-quality", "jpeg_quality", type=click.IntRange(1, 100), default=None,
              help="The quality the image was compressed at (1-100); default: read from a JPEG file's "
                   "quantisation tables, else estimated from the pixels (a PNG of a JPEG). (--quality is the "
                   "output's, as for every command.)")
@click.option("-v", "--verbose", is_flag=True, help="A line per image saying which quality was used and whence.")
@model_options
@batch_options(cluster=True)
def dejpeg_command(inputs, jpeg_quality, verbose, model, tile, threads, precision, output, recursive, suffix, ext,
                   skip_existing, overwrite, quality, quiet, workers, scheduler, manifest) -> None:
    """Remove JPEG compression artefacts (blocks, ringing, colour bleeding) from images, colour or gray; writes
    NAME_dejpeg.png beside each input by default."""
    from restore.runtime import set_threads

    tile = parse_tile(tile)
    opts = BatchOptions(output=output, recursive=recursive, suffix="_dejpeg" if suffix is None else suffix,
                        ext=ext, skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality,
                        workers=workers, scheduler=scheduler, manifest=manifest, verbose=verbose)
    check_outputs(inputs, opts)
    set_threads(threads)
    m = load_task_model(model, "dejpeg", precision)
    call = model_call(m, threads, opts, load={"precision": precision}, call={"quality": jpeg_quality, "tile": tile})
    res = run_batch(list(inputs), opts, call)
    report(res, quiet)
