"""Deferred imports: stand-ins load only what is used, behave like the real modules once used, the CLI's
codec commands start without compressai's unrelated subpackages, and --help / --version without torch."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from restore.deferred import defer_module, defer_package

DATA = Path(__file__).resolve().parent / "data" / "codec-v2"


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A folder on sys.path holding package ``dpkg`` (its __init__ imports ``dpkg.heavy``, records that it ran,
    and defines ``value``) and module ``dmod``; whatever the test imported is forgotten afterwards."""
    pkg = tmp_path / "dpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("import builtins\nbuiltins.RAN = builtins.RAN + ['dpkg']\n"
                                     "from dpkg import heavy\nvalue = heavy.WEIGHT + 1\n")
    (pkg / "heavy.py").write_text("WEIGHT = 41\n")
    (pkg / "light.py").write_text("def f():\n    return 'light'\n")
    (tmp_path / "dbad").mkdir()
    (tmp_path / "dbad" / "__init__.py").write_text("raise ImportError('dbad is broken')\n")
    (tmp_path / "dmod.py").write_text("import builtins\nbuiltins.RAN = builtins.RAN + ['dmod']\nx = 7\n")
    import builtins

    monkeypatch.setattr(builtins, "RAN", [], raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield builtins
    for name in [m for m in sys.modules if m.split(".")[0] in ("dpkg", "dmod", "dbad")]:
        del sys.modules[name]


def test_deferred_package_loads_submodules_alone_until_another_attribute_is_read(scratch):
    assert defer_package("dpkg", {"answer": 42})
    import dpkg.light
    from dpkg import light

    assert light.f() == "light" and dpkg.light is light
    assert dpkg.answer == 42
    assert scratch.RAN == [] and "dpkg.heavy" not in sys.modules          # its __init__ has not run
    assert dpkg.value == 42                                                # the first other read runs it
    assert scratch.RAN == ["dpkg"] and "dpkg.heavy" in sys.modules
    assert dpkg.value == 42 and scratch.RAN == ["dpkg"]                   # once
    with pytest.raises(AttributeError):
        dpkg.missing


def test_deferred_module_runs_at_its_first_attribute_read_not_at_import(scratch):
    assert defer_module("dmod")
    import dmod

    assert scratch.RAN == []
    assert dmod.x == 7 and scratch.RAN == ["dmod"]
    assert dmod.x == 7 and scratch.RAN == ["dmod"]


def test_a_failing_deferred_package_raises_its_error_and_is_forgotten_like_a_failed_import(scratch):
    assert defer_package("dbad")
    import dbad

    with pytest.raises(ImportError, match="dbad is broken"):
        dbad.anything
    assert "dbad" not in sys.modules
    with pytest.raises(ImportError, match="dbad is broken"):
        import dbad  # noqa: F811


def test_nothing_is_deferred_twice_or_when_missing(scratch):
    import dmod

    assert not defer_module("dmod")                       # imported already: left as it is
    assert sys.modules["dmod"] is dmod
    assert not defer_module("no_such_module_here") and "no_such_module_here" not in sys.modules
    assert not defer_package("dmod.x") and not defer_package("no_such_pkg.sub")


CHILD = textwrap.dedent("""
    import sys, warnings
    warnings.simplefilter("ignore")
    from restore.cli import main
    rc = main(["decode", "-q", "--precision", "fp32", sys.argv[1], "-o", sys.argv[2]])
    heavy = [m for m in ("torch_geometric", "compressai.datasets", "scipy.stats._stats_py") if m in sys.modules]
    from compressai.entropy_models import GaussianConditional
    from restore.codecs.entropy import scale_table
    g = GaussianConditional(None)
    g.update_scale_table(scale_table())                       # needs scipy.stats: loads it now
    import compressai
    import os
    print(rc, ",".join(heavy) or "-", g._quantized_cdf.shape[0], bool(compressai.__version__),
          "torch_geometric" in sys.modules, os.environ["THP_MEM_ALLOC_ENABLE"])
""")


def test_cli_decodes_without_compressai_extras_and_loads_them_on_demand(tmp_path, monkeypatch):
    from restore.io import read_image

    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(DATA))
    monkeypatch.delenv("THP_MEM_ALLOC_ENABLE", raising=False)       # as a user who never set it
    out = tmp_path / "out.png"
    res = subprocess.run([sys.executable, "-c", CHILD, str(DATA / "sample.rst"), str(out)],
                         capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["0", "-", "64", "True", "True", "0"]     # decode turned huge pages off
    got, want = read_image(out).to_array(), read_image(DATA / "sample.png").to_array()
    assert np.abs(got.astype(int) - want.astype(int)).max() <= 1


def test_cli_help_and_version_answer_without_importing_torch():
    child = ("import sys\nfrom restore.cli import main\n"
             "codes = [main(['--version']), main(['--help']), main(['encode', '--help'])]\n"
             "print(codes, 'torch' in sys.modules, file=sys.stderr)")
    res = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    assert "restore, version" in res.stdout and "Usage: restore encode" in res.stdout
    assert res.stderr.strip().splitlines()[-1] == "[0, 0, 0] False"
