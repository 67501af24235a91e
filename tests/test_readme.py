"""Every `restore …` command in the README parses as written and names only models that ship."""
from __future__ import annotations

import re
import shlex

import click
import pytest

from helpers import ROOT
from restore.cli import _register, cli
from restore.formats import is_model_file
from restore.weights import Manifest

MODEL_OPTIONS = ("--model", "--init", "--from-sr", "--from-denoise")


def readme_commands() -> list[str]:
    """The `restore …` commands of the README's bash blocks (continuation lines joined, comments dropped)."""
    text = (ROOT / "README.md").read_text()
    cmds = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].split(" # ")[0]
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("restore "):
                    cmds.append(part)
    return cmds


def parse(args: list[str]) -> tuple[click.Command, click.Context]:
    """Parse ``args`` down the command tree the way ``restore`` would, without running anything."""
    _register()
    cmd, ctx, name = cli, None, "restore"
    while True:
        ctx = cmd.make_context(name, list(args), parent=ctx)
        if not isinstance(cmd, click.Group):
            return cmd, ctx
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]     # click ≥ 8.2 keeps the name there
        name, cmd, args = cmd.resolve_command(ctx, rest)


COMMANDS = readme_commands()


def test_the_readme_has_its_commands():
    assert len(COMMANDS) >= 30
    assert COMMANDS[0] == "restore sr --scale 4 examples/astronaut.png"


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_parses_and_names_shipped_models(command, tmp_path, monkeypatch):
    args = shlex.split(command)[1:]
    monkeypatch.chdir(tmp_path)
    for a in args:                               # files a command insists exist (--mask) are stand-ins here
        if re.fullmatch(r"[\w-]+\.(png|jpg|tif)", a):
            (tmp_path / a).write_bytes(b"")
    parse(args)
    man = Manifest()
    named = [b for a, b in zip(args, args[1:]) if a in MODEL_OPTIONS]
    if args[0] == "export":
        named.append(args[1])
    for model in named:
        if is_model_file(model):                 # a community model file the reader has (--model FILE)
            continue
        man.resolve(model)                       # KeyError (unknown or retired) fails the test


def test_a_bad_option_or_an_unknown_model_is_caught():
    with pytest.raises(click.NoSuchOption):
        parse(["sr", "--scael", "4", "x.png"])
    with pytest.raises(KeyError):
        Manifest().resolve("srnet-sr-m")
