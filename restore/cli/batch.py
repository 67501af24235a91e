"""Running one image function over files and folders: naming, skipping, progress, error report."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection, Optional, Union

import click

from restore.cli.ledger import Ledger
from restore.formats import READ_EXTS, WRITE_EXTS, ImageError, first_line
from restore.observe import noted_progress, watching

__all__ = ["BatchOptions", "plan_outputs", "check_outputs", "output_target", "OneLineUsageError", "OutputNameError",
           "OUTPUT_PATH", "process_file", "run_batch", "batch_options", "LEDGER_NAME"]

LEDGER_NAME = ".restore-batch.jsonl"     # the default --manifest of a cluster run, in the output folder
FAILURES = (ImageError, ValueError, OSError, MemoryError, RuntimeError)   # one bad file; the batch goes on
SEPARATORS = tuple(s for s in {"/", os.sep, os.altsep} if s)
OUTPUT_PATH = click.Path()   # -o as typed (a str): a Path would drop the trailing separator that marks a folder


class OneLineUsageError(click.UsageError):
    """A usage error shown as one line (``error: why``) instead of the usage block, exit status 2."""

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class OutputNameError(OneLineUsageError):
    """A bad -o (``error: -o NAME: why``)."""


def output_target(output: Union[str, Path, None], single: bool, exts: Collection[str],
                  any_ext: bool = False) -> tuple[Optional[Path], bool]:
    """What ``-o`` names: ``(path, True)`` for a file, ``(path, False)`` for a folder, ``(None, False)`` without -o.

    The rule, shared by every command with -o: a name that already is a folder, ends in a path separator or
    has no extension is a folder (made when needed); any other name is a file, which only a single input
    may have, with an extension from ``exts`` (any extension with ``any_ext``: the codec's container).
    Everything else is an :class:`OutputNameError`, raised before any work and before anything is created.
    """
    if output is None:
        return None, False
    spelled = os.fspath(output)
    path = Path(spelled)
    if path.is_dir() or spelled.endswith(SEPARATORS) or not path.suffix:
        if path.exists() and not path.is_dir():
            raise OutputNameError(f"-o {spelled}: an output folder is needed (the name has no extension), "
                                  f"and this is a file")
        return path, False
    if not single:
        raise OutputNameError(f"-o {spelled}: several inputs need an output folder, and this names a file "
                              f"(give a folder name without an extension, or end it with /)")
    if not any_ext and path.suffix.lower() not in exts:
        raise OutputNameError(f"-o {spelled}: {path.suffix!r} is not a format we write; use one of "
                              f"{', '.join(sorted(e.lstrip('.') for e in exts))}")
    return path, True


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
    workers: int = 0                              # > 0: a local dask cluster of this many processes
    scheduler: Optional[str] = None               # a dask scheduler address: run on that cluster
    manifest: Optional[Path] = None               # the resumable done/failed record (Ledger)
    any_file_ext: bool = False                    # -o FILE may have any extension, not just out_exts
    verbose: bool = False                         # a line per file with the task's note (which model, why)
    output_spelled: Optional[str] = None          # -o as typed (set from output; keeps a trailing "/")

    def __post_init__(self) -> None:
        if self.output is not None:
            self.output_spelled = os.fspath(self.output)
            self.output = Path(self.output)

    @property
    def distributed(self) -> bool:
        return bool(self.workers or self.scheduler)


@dataclass
class BatchResult:
    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    resumed: list = field(default_factory=list)  # done by an earlier run, per the manifest
    failed: list = field(default_factory=list)   # (path, message)
    notes: dict = field(default_factory=dict)    # what a task said of its choices ("model (why)") → files


def batch_options(f: Callable | None = None, *, image_output: bool = True, quiet_short: bool = True,
                  cluster: bool = False) -> Callable:
    """The options every file/folder command shares (``image_output=False`` drops --ext/--quality;
    ``cluster=True`` adds --workers/--scheduler/--manifest)."""
    if f is None:
        return lambda g: batch_options(g, image_output=image_output, quiet_short=quiet_short, cluster=cluster)
    opts = [
        click.option("-o", "--output", type=OUTPUT_PATH, default=None,
                     help="Output file (one input; a name with an extension) or folder (a name without an "
                          "extension, ending in /, or an existing folder)."),
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
    if cluster:
        opts += [
            click.option("--workers", type=click.IntRange(0, 1024), default=0,
                         help="Process files on a local dask cluster of this many worker processes."),
            click.option("--scheduler", default=None,
                         help="Address of a dask scheduler (tcp://host:8786): process files on its workers."),
            click.option("--manifest", type=click.Path(path_type=Path), default=None,
                         help=f"Resumable record of done/failed files (default with --workers/--scheduler: "
                              f"{LEDGER_NAME} in the output folder); a rerun skips what it lists as done."),
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


def _out_ext(opts: BatchOptions) -> str:
    ext = "." + (opts.ext or opts.default_ext).lower().lstrip(".")
    if ext not in opts.out_exts:
        raise click.UsageError(f"--ext {opts.ext!r} is not a format we write; use one of "
                               f"{', '.join(sorted(e[1:] for e in opts.out_exts))}")
    return ext


def _single_file(inputs: list[Path]) -> bool:
    return len(inputs) == 1 and not inputs[0].is_dir()


def check_outputs(inputs: list[Path], opts: BatchOptions) -> None:
    """The usage errors of -o and --ext (see :func:`output_target`); commands call this before loading a
    model, so that a bad name costs nothing and creates nothing."""
    _out_ext(opts)
    output_target(opts.output_spelled, _single_file(list(inputs)), opts.out_exts, opts.any_file_ext)


def plan_outputs(inputs: list[Path], opts: BatchOptions) -> list[tuple[Path, Path]]:
    """Map each input file to its output path following -o, --suffix, --ext and --recursive."""
    ext = _out_ext(opts)
    out, out_is_file = output_target(opts.output_spelled, _single_file(inputs), opts.out_exts, opts.any_file_ext)
    in_place = out is None
    items = _gather(inputs, opts.recursive, opts.suffix if in_place else "", ext, opts.in_exts)
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


def process_file(src: Path, dst: Path, fn: Callable, read: Optional[Callable[[Path], Any]] = None,
                 write: Optional[Callable[[Any, Path], Any]] = None, quality: int = 95,
                 progress: Optional[Callable[[int, int], None]] = None) -> Optional[str]:
    """Read ``src`` (default: as an image), run ``fn(item, progress)``, write the result to ``dst``
    (atomically; default: as an image). Returns the note a task left in the result's ``meta["note"]`` (which
    model ran and why), if any."""
    from restore.io import read_image, write_image

    result = fn((read or read_image)(src), progress or (lambda done, total: None))
    dst.parent.mkdir(parents=True, exist_ok=True)
    if write is None:
        write_image(result, dst, quality=quality)
    else:
        write(result, dst)
    meta = getattr(result, "meta", None)
    return meta.get("note") if isinstance(meta, dict) else None


def _message(src: Path, e: BaseException) -> str:
    msg = first_line(e)
    return msg if str(src) in msg else f"{src}: {msg}"


def work_on(src: Path, dst: Path, fn: Callable, read: Optional[Callable], write: Optional[Callable],
            quality: int, progress: Optional[Callable[[int, int], None]] = None) -> tuple:
    """One file, in this process or on a cluster worker: ``(src, dst, error message or None, note or None)``."""
    try:
        note = process_file(src, dst, fn, read, write, quality, progress)
        return str(src), str(dst), None, note
    except FAILURES as e:
        return str(src), str(dst), _message(src, e), None


def _admit(plan: list[tuple[Path, Path]], opts: BatchOptions, res: BatchResult,
           ledger: Optional[Ledger]) -> list[tuple[Path, Path]]:
    """The (src, dst) pairs to run: drops clashing outputs, existing outputs (--skip-existing), files the
    manifest lists as done, and inputs an output would replace."""
    claimed: dict[Path, Path] = {}
    todo = []
    for src, dst in plan:
        first = claimed.setdefault(dst.resolve(), src)
        if first != src:
            res.failed.append((src, f"{src}: its output {dst} is also the output of {first} "
                                    f"(use --ext, --suffix or -o)"))
        elif opts.skip_existing and dst.exists():
            res.skipped.append(src)
        elif ledger is not None and ledger.is_done(src, dst):
            res.resumed.append(src)
        elif dst.exists() and src.resolve() == dst.resolve() and not opts.overwrite:
            res.failed.append((src, f"{src}: output would replace the input (use --suffix, -o or --overwrite)"))
        else:
            todo.append((src, dst))
    return todo


def _ledger(opts: BatchOptions, plan: list[tuple[Path, Path]]) -> Optional[Ledger]:
    if opts.manifest is not None:
        return Ledger(opts.manifest)
    if not opts.distributed:
        return None
    out = opts.output
    folder = Path.cwd() if out is None else out.parent if plan[0][1] == out else out
    return Ledger(folder / LEDGER_NAME)


def run_batch(inputs: list[Path], opts: BatchOptions, fn: Callable[[Any, Callable[[int, int], None]], Any],
              read: Optional[Callable[[Path], Any]] = None,
              write: Optional[Callable[[Any, Path], Any]] = None) -> BatchResult:
    """Read → ``fn(item, progress)`` → write for every planned file; failures are collected, never fatal.

    ``read``/``write`` default to images; the codec passes bytes readers and writers (always atomic).
    With ``opts.workers``/``opts.scheduler`` the files run on a dask cluster (``fn``, ``read`` and ``write``
    must then pickle: a :class:`~restore.cli.jobs.ModelCall` and module-level functions).

    A progress bar counts files, or the tiles of a lone file, on a terminal unless ``quiet``.
    """
    from tqdm import tqdm

    plan = plan_outputs(inputs, opts)
    if not plan:
        raise click.UsageError("no input images found")
    res = BatchResult()
    ledger = _ledger(opts, plan)
    todo = _admit(plan, opts, res, ledger)
    show = not opts.quiet and sys.stderr.isatty()
    bar = tqdm(total=len(plan), initial=len(plan) - len(todo), unit="img", disable=not show or len(plan) == 1,
               file=sys.stderr)

    def finished(src: Path, dst: Path, error: Optional[str], note: Optional[str] = None) -> None:
        if ledger is not None:
            ledger.record(src, dst, error)
        if error:
            res.failed.append((Path(src), error))
        else:
            res.done.append(Path(dst))
            if note:
                res.notes.setdefault(note, []).append(Path(src))
                if opts.verbose:
                    bar.write(f"{src}: {note}", file=sys.stderr)
        bar.update(1)

    if opts.distributed:
        from restore.cli.cluster import run_on_cluster

        jobs = ((src, dst, fn, read, write, opts.quality) for src, dst in todo)
        run_on_cluster(jobs, work_on, opts.workers, opts.scheduler, finished)
    else:
        for src, dst in todo:
            tile_bar = tqdm(unit="tile", disable=not show or len(plan) > 1, file=sys.stderr, leave=False)

            def progress(done: int, total: int) -> None:
                tile_bar.total = total
                tile_bar.n = done
                tile_bar.refresh()
                noted_progress(done, total)

            try:
                finished(*work_on(src, dst, fn, read, write, opts.quality, progress))
            finally:
                tile_bar.close()
    bar.close()
    obs = watching()
    if obs is not None:
        obs.result = res
    return res


def report(res: BatchResult, quiet: bool) -> None:
    """Print the summary and raise a non-zero exit if anything failed."""
    for _, msg in res.failed:
        click.echo(f"error: {msg}", err=True)
    if not quiet:
        if res.notes:
            click.echo("models: " + "; ".join(f"{note} × {len(files)}" for note, files in res.notes.items()),
                       err=True)
        parts = [f"{len(res.done)} written"]
        if res.skipped:
            parts.append(f"{len(res.skipped)} skipped (output exists)")
        if res.resumed:
            parts.append(f"{len(res.resumed)} already done (manifest)")
        if res.failed:
            parts.append(f"{len(res.failed)} failed")
        click.echo(", ".join(parts), err=True)
    if res.failed:
        raise click.exceptions.Exit(1)
