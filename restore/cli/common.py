"""Options shared by the model-running commands."""
from __future__ import annotations

from typing import Callable

import click

__all__ = ["PRECISION", "model_call", "model_options", "parse_tile", "load_task_model", "compile_requested"]


def parse_tile(value: str) -> str | int:
    if value == "auto":
        return "auto"
    try:
        n = int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not 'auto' or a number of pixels", param_hint="--tile") from None
    if n < 16:
        raise click.BadParameter("must be at least 16 pixels", param_hint="--tile")
    return n


PRECISION = click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto",
                         show_default=True, help="bf16 autocast where the CPU supports it natively, else fp32.")


def _remember_compile(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta["restore.compile"] = bool(value)
    return value


def compile_requested() -> bool:
    """Whether the running command was given ``--compile`` (false outside a command)."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get("restore.compile"))


def model_options(f: Callable) -> Callable:
    opts = [
        click.option("--model", default=None, help="Model id or alias from `restore models`."),
        click.option("--tile", default="auto", show_default=True,
                     help="Tile size in input pixels, or 'auto' (from a memory budget)."),
        click.option("--threads", type=click.IntRange(1, 256), default=None, help="CPU threads (default: all)."),
        PRECISION,
        click.option("--compile", "compile_", is_flag=True, expose_value=False, callback=_remember_compile,
                     help="Run the network through torch.compile (slow first call; needs a C++ compiler)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def load_task_model(model: str | None, task: str, precision: str, default: str | None = None,
                    what: str | None = None, train: str | None = None):
    """The model a command runs: ``--model`` or the task's default alias (from the task registry; ``default``,
    ``what`` and ``train`` override it, as burst's --scale does); a one-line usage error when the default is
    not installed yet (naming the ``restore train`` command) or the model is for another task."""
    from restore.api import load
    from restore.tasks.spec import task_spec

    spec = task_spec(task)
    what = what or spec.what
    try:
        m = load(model or default or spec.default, precision=precision, compile=compile_requested())
    except KeyError as e:
        if model:
            raise
        raise click.UsageError(f"no {what} model is installed yet: train one with `restore {train or spec.train}`") \
            from e
    if getattr(m, "spandrel", None) is not None:           # a community model file
        from restore.external import check_fits

        try:
            check_fits(m, task)
        except ValueError as e:
            raise click.UsageError(str(e)) from None
    elif getattr(m.entry, "task", None) != task:
        raise click.UsageError(f"{model!r} is not a {what} model")
    return m


def model_call(m, threads: int | None, opts, load: dict, call: dict):
    """The picklable call a batch runs for the loaded model ``m`` (see :class:`restore.cli.jobs.ModelCall`; an
    :class:`~restore.tasks.sr_auto.AutoSR` pair becomes an :class:`~restore.cli.jobs.AutoSRCall` of two).

    On a local cluster the worker processes share the cores: each gets ``--threads`` or an equal share."""
    import os

    from restore.cli.jobs import AutoSRCall, ModelCall

    if threads is None and opts.workers and not opts.scheduler:
        threads = max(1, (os.cpu_count() or 1) // opts.workers)
    if compile_requested():
        load = load | {"compile": True}
    from restore.tasks.sr_auto import AutoSR

    def pinned(x, call: dict):
        return None if x is None else ModelCall(x.entry.id, x.entry.sha256, load=load, call=call, threads=threads)

    if isinstance(m, AutoSR):
        return AutoSRCall(*(pinned(x, {}) for x in (m.clean, m.real, m.dejpeg)), force=m.force, call=call)
    return pinned(m, call)
