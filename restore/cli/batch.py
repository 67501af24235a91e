"""Running one image function over files and folders: naming, skipping, progress, error report."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import click

from restore.io import READ_EXTS, WRITE_EXTS, ImageError, first_line, read_image, write_image

__all__ = ["BatchOptions", "plan_outputs", "run_batch", "batch_options"]


@dataclass
class BatchOptions:
    output: Optional[Path] = None
    recursive: bool = False
    suffix: str = ""
    ext: Optional[str] = None
    skip_existing: bool = False
    overwrite: bool = False
    quiet: bool = False
    quality: int = 95
    in_exts: frozenset = frozenset(READ_EXTS)     # what a folder input picks up
    out_exts: frozenset = frozenset(WRITE_EXTS)   # what --ext / -o may name
    default_ext: str = "png"


@dataclass
class BatchResult:
    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)   # (path, message)


def batch_options(f: Callable | None = None, *, image_output: bool = True, quiet_short: bool = True) -> Callable:
    """The options every file/folder command shares (``image_output=False`` drops --ext/--quality)."""
    if f is None:
        return lambda g: batch_options(g, image_output=image_output, quiet_short=quiet_short)
    opts = [
        click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
                     help="Output file (one input) or folder."),
        click.option("-r", "--recursive", is_flag=True, help="Descend into sub-folders of folder inputs."),
        click.option("--suffix", default=None, help="Appended to output file names (default per command)."),
        click.option("--skip-existing", is_flag=True, help="Leave inputs whose output already exists."),
        click.option("--overwrite", is_flag=True, help="Allow replacing an input file with its output."),
        click.option(*(("-q", "--quiet") if quiet_short else ("--quiet",)), is_flag=True,
                     help="No progress bar or summary."),
    ]
    if image_output:
        opts[3:3] = [
            click.option("--ext", default=None, help="Output format: png, jpg, webp, tif, bmp (default png)."),
            click.option("--quality", type=click.IntRange(1, 100), default=95, show_default=True,
                         help="JPEG/WebP quality (100 = lossless WebP)."),
        ]
    for o in reversed(opts):
        f = o(f)
    return f


def _gather(inputs: list[Path], recursive: bool, exclude_suffix: str, ext: str,
            exts: frozenset = frozenset(READ_EXTS)) -> list[tuple[Path, Path]]:
    """(file, folder it was found under) for every input; missing paths are kept so they are reported."""
    items: list[tuple[Path, Path]] = []
    for p in inputs:
        if p.is_dir():
            it = p.rglob("*") if recursive else p.iterdir()
            for f in sorted(it):
                if not f.is_file() or f.name.startswith(".") or f.suffix.lower() not in exts:
                    continue  # sidecars, notes, hidden files
                if exclude_suffix and f.stem.endswith(exclude_suffix) and f.suffix.lower() == ext:
                    continue  # an output of an earlier run in the same folder
                items.append((f, p))
        else:
            items.append((p, p.parent))
    return items


def plan_outputs(inputs: list[Path], opts: BatchOptions) -> list[tuple[Path, Path]]:
    """Map each input file to its output path following -o, --suffix, --ext and --recursive."""
    ext = "." + (opts.ext or opts.default_ext).lower().lstrip(".")
    if ext not in opts.out_exts:
        raise click.UsageError(f"--ext {opts.ext!r} is not a format we write; use one of "
                               f"{', '.join(sorted(e[1:] for e in opts.out_exts))}")
    out = opts.output
    in_place = out is None
    items = _gather(inputs, opts.recursive, opts.suffix if in_place else "", ext, opts.in_exts)
    single_file = len(inputs) == 1 and not inputs[0].is_dir()
    out_is_file = out is not None and single_file and out.suffix.lower() in opts.out_exts and not out.is_dir()
    if out is not None and not out_is_file and len(items) > 1 and out.exists() and not out.is_dir():
        raise click.UsageError(f"-o {out}: several inputs need an output folder, and this is a file")
    plan = []
    for f, root in items:
        if out_is_file:
            dst = out
        else:
            rel = f.relative_to(root) if f.is_relative_to(root) else Path(f.name)
            folder = (out / rel.parent) if out is not None else f.parent
            dst = folder / f"{f.stem}{opts.suffix}{ext}"
        plan.append((f, dst))
    return plan


def run_batch(inputs: list[Path], opts: BatchOptions, fn: Callable[[Any, Callable[[int, int], None]], Any],
              read: Callable[[Path], Any] = read_image,
              write: Optional[Callable[[Any, Path], Any]] = None) -> BatchResult:
    """Read → ``fn(item, progress)`` → write for every planned file; failures are collected, never fatal.

    ``read``/``write`` default to images; the codec passes bytes readers and writers (always atomic).

    A progress bar counts files, or the tiles of a lone file, on a terminal unless ``quiet``.
    """
    from tqdm import tqdm

    plan = plan_outputs(inputs, opts)
    if not plan:
        raise click.UsageError("no input images found")
    res = BatchResult()
    show = not opts.quiet and sys.stderr.isatty()
    bar = tqdm(total=len(plan), unit="img", disable=not show or len(plan) == 1, file=sys.stderr)
    claimed: dict[Path, Path] = {}
    for src, dst in plan:
        try:
            first = claimed.setdefault(dst.resolve(), src)
            if first != src:
                raise ImageError(f"{src}: its output {dst} is also the output of {first} (use --ext, --suffix or -o)")
            if opts.skip_existing and dst.exists():
                res.skipped.append(src)
                continue
            if dst.exists() and src.resolve() == dst.resolve() and not opts.overwrite:
                raise ImageError(f"{src}: output would replace the input (use --suffix, -o or --overwrite)")
            img = read(src)
            tile_bar = tqdm(unit="tile", disable=not show or len(plan) > 1,
                            file=sys.stderr, leave=False)

            def progress(done: int, total: int) -> None:
                tile_bar.total = total
                tile_bar.n = done
                tile_bar.refresh()

            result = fn(img, progress)
            tile_bar.close()
            dst.parent.mkdir(parents=True, exist_ok=True)
            if write is None:
                write_image(result, dst, quality=opts.quality)
            else:
                write(result, dst)
            res.done.append(dst)
        except (ImageError, ValueError, OSError, MemoryError, RuntimeError) as e:
            msg = first_line(e)
            res.failed.append((src, msg if str(src) in msg else f"{src}: {msg}"))
        finally:
            bar.update(1)
    bar.close()
    return res


def report(res: BatchResult, quiet: bool) -> None:
    """Print the summary and raise a non-zero exit if anything failed."""
    for _, msg in res.failed:
        click.echo(f"error: {msg}", err=True)
    if not quiet:
        parts = [f"{len(res.done)} written"]
        if res.skipped:
            parts.append(f"{len(res.skipped)} skipped (output exists)")
        if res.failed:
            parts.append(f"{len(res.failed)} failed")
        click.echo(", ".join(parts), err=True)
    if res.failed:
        raise click.exceptions.Exit(1)
