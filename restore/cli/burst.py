"""``restore burst``: fuse handheld frames (files, or one folder of them) into one clean image."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import OUTPUT_PATH, output_target
from restore.cli.common import load_task_model, model_options, parse_tile
from restore.formats import WRITE_EXTS


def burst_frames(inputs: tuple[Path, ...]) -> list[Path]:
    """The frame files: the inputs in order, or the sorted images of a single folder."""
    from restore.io import READ_EXTS

    if len(inputs) == 1 and inputs[0].is_dir():
        return sorted(p for p in inputs[0].iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in READ_EXTS)
    return list(inputs)


@cli.command("burst")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=OUTPUT_PATH, default=None,
              help="Output file (a name with an extension), or folder for FIRST_burst.png (a name without an "
                   "extension, ending in /, or an existing folder); default: beside the first frame.")
@click.option("-s", "--scale", type=click.Choice(["1", "2", "4"]), default="1", show_default=True,
              help="Also super-resolve the fused image.")
@click.option("--quality", type=click.IntRange(1, 100), default=95, show_default=True, help="JPEG/WebP quality.")
@click.option("--overwrite", is_flag=True, help="Allow replacing one of the frames with the output.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@model_options
def burst_command(inputs, output, scale, quality, overwrite, quiet, model, tile, threads, precision) -> None:
    """Align a burst of frames to the first one and merge them into one denoised image.

    The first frame is the reference: the result shows the scene as it was then, and objects that moved
    during the burst are not ghosted.
    """
    target, is_file = output_target(output, True, WRITE_EXTS)    # a bad -o: before torch is even imported

    import sys

    from tqdm import tqdm

    from restore.io import read_image, write_image
    from restore.observe import noted_progress
    from restore.runtime import set_threads

    tile = parse_tile(tile)
    set_threads(threads)
    paths = burst_frames(inputs)
    if len(paths) < 2:
        raise click.UsageError(f"a burst needs at least 2 frames, got {len(paths)}")
    name = f"{paths[0].stem}_burst{'' if scale == '1' else '_x' + scale}.png"
    out = target if is_file else (target / name if target is not None else paths[0].with_name(name))
    if any(out.resolve() == p.resolve() for p in paths if p.exists()) and not overwrite:
        raise click.UsageError(f"output {out} would replace a frame (use -o or --overwrite)")
    m = load_task_model(model, "burst", precision, default=f"burst-x{scale}", what=f"×{scale} burst",
                        train=f"train burst --scale {scale}")
    if m.scale != int(scale):
        raise click.UsageError(f"{model!r} is not a ×{scale} burst model")
    frames = [read_image(p) for p in paths]           # an unreadable frame is a one-line ImageError
    bar = tqdm(unit="tile", disable=quiet or not sys.stderr.isatty(), file=sys.stderr, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total, bar.n = total, done
        bar.refresh()
        noted_progress(done, total)

    result = m(frames, tile=tile, progress=progress)
    bar.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    write_image(result, out, quality=quality)
    if not quiet:
        click.echo(f"wrote {out} ({len(paths)} frames)", err=True)
