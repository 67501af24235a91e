"""``restore derain|dehaze|desnow|deweather|dereflect``: whole-scene restoration for files and folders."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Optional

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, check_outputs, report, run_batch
from restore.cli.common import load_task_model, model_call, model_options, parse_tile
from restore.cli.jobs import write_with_layer

# command → (manifest alias, condition passed to the model, default output suffix, help)
COMMANDS = {
    "derain": ("weather", "rain", "_derained", "Remove rain streaks and the rain veil."),
    "dehaze": ("weather", "haze", "_dehazed", "Remove haze (atmospheric scattering)."),
    "desnow": ("weather", "snow", "_desnowed", "Remove falling snow."),
    "deweather": ("weather", None, "_clear", "Remove rain, haze or snow, whichever is there."),
    "dereflect": ("dereflect", None, "_dereflected", "Remove reflections from photos taken through glass."),
}


def _run(name: str, inputs, layer_suffix: Optional[str], model, tile, threads, precision, output, recursive,
         suffix, ext, skip_existing, overwrite, quality, quiet, workers, scheduler, manifest) -> None:
    from restore.runtime import set_threads

    alias, kind, default_suffix, _ = COMMANDS[name]
    tile = parse_tile(tile)
    opts = BatchOptions(output=output, recursive=recursive, suffix=default_suffix if suffix is None else suffix,
                        ext=ext, skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality,
                        workers=workers, scheduler=scheduler, manifest=manifest)
    check_outputs(inputs, opts)
    set_threads(threads)
    m = load_task_model(model, alias, precision)
    call = model_call(m, threads, opts, load={"precision": precision},
                      call={"kind": kind, "tile": tile, "layer": layer_suffix is not None})
    write = functools.partial(write_with_layer, quality=quality, layer_suffix=layer_suffix)
    res = run_batch(list(inputs), opts, call, write=write)
    report(res, quiet)


def _make(name: str) -> None:
    help_text = COMMANDS[name][3] + f" Writes NAME{COMMANDS[name][2]}.png beside each input by default."

    @click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
    @model_options
    @batch_options(cluster=True)
    def command(inputs, model, tile, threads, precision, output, recursive, suffix, ext, skip_existing, overwrite,
                quality, quiet, workers, scheduler, manifest, layer=False) -> None:
        _run(name, inputs, "_reflection" if layer else None, model, tile, threads, precision, output, recursive,
             suffix, ext, skip_existing, overwrite, quality, quiet, workers, scheduler, manifest)

    if name == "dereflect":
        command = click.option("--layer", is_flag=True,
                               help="Also write the removed reflection as NAME_dereflected_reflection.png.")(command)
    cli.command(name, help=help_text)(command)


for _name in COMMANDS:
    _make(_name)
