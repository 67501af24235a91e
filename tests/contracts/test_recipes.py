"""Every task's `restore train` command has exactly its recipe's defaults (one source: restore.recipes.config)."""
from __future__ import annotations

import dataclasses

import pytest

from restore.cli import _register, cli
from restore.tasks.spec import task_specs

HAND_WRITTEN = {"codec"}        # its options grow a trained codec; CodecRecipe keeps its own defaults


def command_of(spec):
    _register()
    group = cli.commands[spec.train.split()[0]]
    return group.commands[spec.train.split()[1]]


@pytest.mark.parametrize("task", sorted(set(task_specs()) - HAND_WRITTEN))
def test_train_command_defaults_are_the_recipes(task):
    spec = task_specs()[task]
    recipe = spec.resolve("recipe")
    params = {p.name: p for p in command_of(spec).params}
    for f in dataclasses.fields(recipe):
        if not f.metadata.get("cli", True):
            assert f.name not in params
            continue
        p = params[f.name]
        got = p.type_cast_value(None, p.default) if p.callback is None else p.callback(None, p, p.default)
        assert got == f.default, (task, f.name)
        assert p.help == f.metadata["help"]


def test_the_recipe_defaults_are_the_shipped_models_settings():
    """The defaults train what ships: each default model's recorded recipe agrees on every field it recorded."""
    from restore.weights import Manifest

    man = Manifest()
    for task, spec in task_specs().items():
        if task in HAND_WRITTEN:
            continue
        recorded = man.resolve(spec.default)[0].training["recipe"]
        recipe = spec.resolve("recipe")(**({"task": task} if task in ("weather", "dereflect") else {}))
        for f in dataclasses.fields(recipe):
            if f.name in recorded and f.name not in ("lr", "val_scales", "val_sigmas"):
                want = recorded[f.name]
                have = list(getattr(recipe, f.name)) if isinstance(getattr(recipe, f.name), tuple) else \
                    getattr(recipe, f.name)
                assert have == want, (task, f.name, have, want)


def test_a_malformed_list_option_is_a_one_line_usage_error(capsys):
    from restore.cli import main

    assert main(["train", "sr", "--scale", "2,x", "--minutes", "0"]) == 2
    err = capsys.readouterr().err
    assert "'2,x' is not a comma-separated list of int" in err and "Traceback" not in err
