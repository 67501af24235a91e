"""``restore denoise``: noise removal for files and folders, blind or at a given noise level."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, check_outputs, report, run_batch
from restore.cli.common import load_task_model, model_call, model_options, parse_tile


@cli.command("denoise")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sigma", type=click.FloatRange(0, 75), default=None,
              help="Noise standard deviation in 8-bit units (0-75); default: estimated per pixel (blind).")
@click.option("--noise", type=click.Choice(["auto", "camera", "gaussian"]), default="auto", show_default=True,
              help="Which model when --model is not given: camera (denoise-real, trained on simulated camera "
                   "pipelines), gaussian (denoise, trained mostly on Gaussian noise), auto: camera when blind, "
                   "gaussian with --sigma.")
@click.option("--strength", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="How much of the noise to remove: below 1 keeps some grain (input + strength · change).")
@model_options
@batch_options(cluster=True)
def denoise_command(inputs, sigma, noise, strength, model, tile, threads, precision, output, recursive, suffix, ext,
                    skip_existing, overwrite, quality, quiet, workers, scheduler, manifest) -> None:
    """Remove noise from images (files or folders); writes NAME_denoised.png beside each input by default.

    Without --model or --noise: blind, the camera-noise model (denoise-real) where installed; with --sigma, the
    Gaussian model (denoise)."""
    from restore.runtime import set_threads

    tile = parse_tile(tile)
    opts = BatchOptions(output=output, recursive=recursive, suffix="_denoised" if suffix is None else suffix,
                        ext=ext, skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality,
                        workers=workers, scheduler=scheduler, manifest=manifest)
    check_outputs(inputs, opts)
    set_threads(threads)
    from restore.tasks.denoise import default_denoiser

    m = load_task_model(model, "denoise", precision, default=default_denoiser(sigma, noise))
    call = model_call(m, threads, opts, load={"precision": precision},
                      call={"sigma": sigma, "tile": tile} | ({"strength": strength} if strength != 1 else {}))
    res = run_batch(list(inputs), opts, call)
    report(res, quiet)
