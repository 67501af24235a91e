"""``restore encode`` / ``restore decode``: the learned codec on files and folders."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import BatchOptions, batch_options, check_outputs, report, run_batch
from restore.cli.common import PRECISION

CODEC_EXT = ".rst"


@cli.command("encode")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-q", "--quality", type=float, default=4.0, show_default=True,
              help="The model's lowest (0 for the default model) to highest (8) quality; fractions allowed.")
@click.option("--target-bpp", type=float, default=None,
              help="Instead of -q: the highest quality whose file fits this many bits per pixel.")
@click.option("--effort", type=click.IntRange(1, 5), default=1, show_default=True,
              help="Encoder effort: 1 codes the analysis transform's guess; 2-5 search each tile for latents that "
                   "cost fewer bits for the same quality, slower at each level (BENCHMARKS.md has the times). "
                   "Any decoder reads the files.")
@click.option("-m", "--model", default="codec", show_default=True, help="Codec model id or alias.")
@click.option("--tile", type=int, default=1024, show_default=True,
              help="Independent tile size in pixels (multiple of 64); bounds memory, enables --region decode.")
@click.option("--overlap", type=click.IntRange(0, 255), default=16, show_default=True,
              help="Pixels each tile codes past its edges; the decoder cross-fades them so seams do not show.")
@click.option("--threads", type=int, default=0, help="CPU threads (default: all cores).")
@PRECISION
@batch_options(image_output=False, quiet_short=False)
def encode_command(inputs, quality, target_bpp, effort, model, tile, overlap, threads, precision, output, recursive,
                   suffix, skip_existing, overwrite, quiet) -> None:
    """Compress images (files or folders) to .rst files with the learned codec."""
    from restore.runtime import set_threads, small_pages

    small_pages()                                   # before torch is imported
    opts = BatchOptions(output=output, recursive=recursive, suffix=suffix or "", skip_existing=skip_existing,
                        overwrite=overwrite, quiet=quiet, out_exts=frozenset({CODEC_EXT}), default_ext="rst",
                        any_file_ext=True)          # -o photo.bin: the container under that name
    check_outputs(inputs, opts)

    from restore.api import load
    from restore.io import atomic_write_bytes

    set_threads(threads)
    codec = load(model, precision=precision)
    if getattr(codec, "encode", None) is None:
        raise click.UsageError(f"{model!r} is not a codec model")
    res = run_batch(list(inputs), opts,
                    lambda img, progress: codec.encode(img, quality=quality, target_bpp=target_bpp, tile=tile,
                                                       overlap=overlap, progress=progress, effort=effort),
                    write=lambda data, dst: atomic_write_bytes(dst, data))
    report(res, quiet)


@cli.command("decode")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--region", default=None, help="Decode only x,y,w,h (reads just the tiles it touches).")
@click.option("--threads", type=int, default=0, help="CPU threads (default: all cores).")
@PRECISION
@batch_options
def decode_command(inputs, region, threads, precision, output, recursive, suffix, ext, skip_existing, overwrite,
                   quality, quiet) -> None:
    """Decode .rst files (or folders of them) to images; writes NAME_decoded.png beside each by default."""
    from restore.runtime import set_threads, small_pages

    small_pages()                                   # before torch is imported
    opts = BatchOptions(output=output, recursive=recursive, suffix="_decoded" if suffix is None else suffix,
                        ext=ext, skip_existing=skip_existing, overwrite=overwrite, quiet=quiet, quality=quality,
                        in_exts=frozenset({CODEC_EXT}))
    check_outputs(inputs, opts)

    from restore.api import codec_for
    from restore.codecs.codec import parse_region

    set_threads(threads)
    box = parse_region(region) if region else None
    res = run_batch(list(inputs), opts, lambda data, progress: codec_for(data, precision).decode(data, region=box,
                                                                                       progress=progress),
                    read=lambda p: p.read_bytes())
    report(res, quiet)
