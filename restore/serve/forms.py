"""The HTTP form of a command: which of its options a request may set, and the command line a request becomes.

A request runs the very click command that ``restore <task>`` runs, with the options it gave (the CLI's long
option names: ``scale``, ``sigma``, ``quality``, ``model``, …) and the rest set by the server: the input and
output paths, quiet. So a result is the CLI's result byte for byte, and an option is checked, and refused, with
the CLI's own words. The commands are handed over by ``restore serve`` (this package never imports the CLI).
Nothing a request sends becomes a path on the server: path options are not offered, and
``model`` must name an installed model.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional

import click

__all__ = ["TASKS", "SERVER_SET", "FormError", "command", "form_options", "command_line", "describe_tasks",
           "model_files"]

# the commands the server offers, in the page's order
TASKS = ("sr", "denoise", "dejpeg", "dehaze", "derain", "desnow", "deweather", "dereflect", "demosaic", "burst",
         "encode", "decode")
# options the server sets or that name paths or machines: never taken from a request
SERVER_SET = frozenset({"inputs", "output", "recursive", "suffix", "skip_existing", "overwrite", "quiet", "workers",
                        "scheduler", "manifest", "threads", "compile_", "mask_path", "verbose"})
TRUE, FALSE = ("1", "true", "on", "yes"), ("0", "false", "off", "no", "")
Commands = Mapping[str, click.Command]      # the CLI's commands by name, handed over by ``restore serve``


class FormError(ValueError):
    """A request the command cannot take (unknown option, bad model); its text is the one-line reason."""


def command(commands: Commands, task: str) -> click.Command:
    """The click command behind ``task`` (a one-line FormError when the server does not offer it)."""
    if task not in TASKS or task not in commands:
        raise FormError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    return commands[task]


def form_options(cmd: click.Command) -> dict[str, click.Option]:
    """Form field name (the long option without dashes, ``-`` as ``_`` accepted too) → the click option."""
    out = {}
    for p in cmd.params:
        if isinstance(p, click.Option) and p.name not in SERVER_SET:
            long = max(p.opts, key=len)
            out[long.lstrip("-")] = p
    return out


@dataclass
class Field:
    name: str
    kind: str                   # flag, choice, int, float, text
    default: Any
    help: str
    choices: tuple = ()
    min: Optional[float] = None
    max: Optional[float] = None


def _field(name: str, p: click.Option) -> Field:
    t = p.type
    default = None if p.default is None or type(p.default).__name__ == "Sentinel" or callable(p.default) \
        else p.default
    if p.is_flag:
        return Field(name, "flag", bool(default), p.help or "")
    if isinstance(t, click.Choice):
        return Field(name, "choice", default, p.help or "", tuple(t.choices))
    kind = "int" if isinstance(t, click.types.IntParamType) else \
        "float" if isinstance(t, click.types.FloatParamType) else "text"
    return Field(name, kind, default, p.help or "", (), getattr(t, "min", None), getattr(t, "max", None))


def describe_tasks(commands: Commands) -> list[dict]:
    """Every offered task with its command's help and the fields of its form (what the page builds its forms
    from, and ``GET /api/v1/tasks`` returns)."""
    out = []
    for task in (t for t in TASKS if t in commands):
        cmd = commands[task]
        out.append({"task": task, "help": (cmd.help or "").split("\n")[0],
                    "files": "frames" if task == "burst" else "rst" if task == "decode" else "image",
                    "fields": [vars(_field(n, p)) for n, p in form_options(cmd).items()]})
    return out


def _check_model(value: str, files: dict) -> str:
    """The ``--model`` value to run: an installed model's id or alias as given, or the server's path of a model
    file offered from ``restore serve --model-dir`` (named by its file name)."""
    from restore.weights import Manifest

    if value in files:
        return str(files[value])
    if "/" in value or "\\" in value or value.startswith("."):
        raise FormError(f"model {value!r}: give an installed model's id or alias (GET /api/v1/models), not a path")
    try:
        Manifest().resolve(value)
    except KeyError:
        raise FormError(f"unknown model {value!r}; GET /api/v1/models lists the installed ones") from None
    return value


def command_line(commands: Commands, task: str, fields: dict[str, list[str]],
                 files: dict | None = None) -> tuple[list[str], list[str]]:
    """(the command line to run, the same as shown) that the form ``fields`` ask for, without inputs and
    server-set options; a FormError names an option the task does not take, a repeated one, or a model that is
    not installed. ``files``: the model files the server offers, name → path (shown by name)."""
    opts = form_options(command(commands, task))
    args: list[str] = []
    shown: list[str] = []
    for raw, values in fields.items():
        name = raw.replace("_", "-")
        p = opts.get(name)
        if p is None:
            offered = ", ".join(opts) or "none"
            raise FormError(f"unknown option {raw!r} for {task}; it takes: {offered}")
        if len(values) != 1:
            raise FormError(f"option {raw!r} given {len(values)} times")
        value = values[0].strip()
        flag = max(p.opts, key=len)
        if p.is_flag:
            if value.lower() not in TRUE + FALSE:
                raise FormError(f"option {raw!r} is a yes/no flag, not {value!r}")
            if value.lower() in TRUE:
                args.append(flag)
                shown.append(flag)
            continue
        if value == "":
            continue                        # an empty field keeps the default
        shown += [flag, value]
        if p.name == "model":
            value = _check_model(value, files or {})
        args += [flag, value]
    return args, shown


def model_files(folder: Optional[Path]) -> dict[str, dict]:
    """The community model files in ``folder`` (``restore serve --model-dir``), file name → what spandrel detects
    in it (and its path); a file it cannot read is left out with a line on stderr."""
    from restore.external import inspect_file
    from restore.formats import is_model_file

    out: dict[str, dict] = {}
    for p in sorted(folder.iterdir()) if folder is not None else ():
        if p.is_file() and is_model_file(str(p)):
            try:
                out[p.name] = inspect_file(p) | {"path": p}
            except Exception as e:  # noqa: BLE001 - one bad file must not stop the server
                click.echo(f"restore serve: {p.name} left out: {str(e).splitlines()[0]}", err=True)
    return out
