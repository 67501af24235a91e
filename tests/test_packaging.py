"""The package declaration ships every module and every shipped model, and leaves the retired ones out.

(.ci/run builds the wheel, installs it into a fresh venv and runs the CLI outside the checkout; these tests catch
the declaration drifting from the tree without building anything.)"""
from __future__ import annotations

import fnmatch
from pathlib import Path
import tomllib

from helpers import ROOT
from restore.weights import WEIGHTS_DIR, Manifest

SETUP = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_of_the_tree_is_declared():
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "restore").rglob("__init__.py")}
    assert set(SETUP["packages"]) == found | {"restore._weights"}
    assert SETUP["package-dir"] == {"restore._weights": "weights"}


def _shipped(name: str) -> bool:
    return (any(fnmatch.fnmatch(name, p) for p in SETUP["package-data"]["restore._weights"])
            and not any(fnmatch.fnmatch(name, p) for p in SETUP["exclude-package-data"]["restore._weights"]))


def test_every_model_ships_and_no_retired_one_does():
    man = Manifest(WEIGHTS_DIR)
    assert _shipped("manifest.json")
    for e in man.entries:
        assert _shipped(e.file) and _shipped(f"{e.id}.md"), e.id
    for e in man.retired:                        # still in the checkout: left out of the wheel
        assert not (e.path(WEIGHTS_DIR).exists() and _shipped(e.file)), e.id
    left = {p.name for p in WEIGHTS_DIR.iterdir() if p.suffix == ".safetensors"}
    assert left == {e.file for e in man.entries} | {e.file for e in man.retired if e.path(WEIGHTS_DIR).exists()}


def test_the_package_finds_its_weights_through_the_installed_package():
    from importlib.resources import files

    assert (WEIGHTS_DIR / "manifest.json").is_file()
    assert WEIGHTS_DIR.resolve() == (ROOT / "weights").resolve() == Path(
        str(files("restore._weights"))).resolve()


IMPORT_NAME = {"opencv-python-headless": "cv2", "scikit-image": "skimage", "pillow": "PIL"}


def test_every_declared_dependency_is_imported_by_the_package():
    import re

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    source = "\n".join(p.read_text() for p in (ROOT / "restore").rglob("*.py"))
    for dep in deps:
        name = re.split(r"[<>=\[ ;]", dep)[0]
        module = IMPORT_NAME.get(name, name)
        assert re.search(rf"^\s*(import|from) {re.escape(module)}\b", source, re.M), f"{name} is declared, never imported"
