"""Fixtures of the server tests: tiny uploads, an in-process client, and a real `restore serve` process."""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import ROOT


def png_bytes(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def photo_png(photo_u8) -> bytes:
    return png_bytes(photo_u8)


def commands():
    """The CLI's commands by name, as `restore serve` hands them to the app."""
    from restore.cli import _register, cli

    _register()
    return cli.commands


def make_app(settings):
    from restore.serve.app import create_app

    return create_app(settings, commands())


@pytest.fixture
def client(tmp_path):
    """A TestClient of an app whose private folder lives under tmp_path/serve (so tests can look inside)."""
    from fastapi.testclient import TestClient

    from restore.serve.app import Settings

    root = tmp_path / "serve"
    root.mkdir()
    with TestClient(make_app(Settings(temp_root=root)), base_url="http://127.0.0.1:8000") as c:
        c.root = root
        yield c


def cli_output(tmp_path: Path, task: str, inputs: list[tuple[str, bytes]], args: list[str]) -> bytes:
    """The bytes `restore <task> INPUTS ARGS -o DIR/` writes (in this process, as the CLI runs)."""
    from restore.cli import main

    d = tmp_path / f"cli-{task}-{len(list(tmp_path.iterdir()))}"
    (d / "in").mkdir(parents=True)
    paths = []
    for name, data in inputs:
        (d / "in" / name).write_bytes(data)
        paths.append(str(d / "in" / name))
    assert main([task, *paths, *args, "-o", f"{d}/out/", "--quiet"]) == 0
    (out,) = [p for p in (d / "out").iterdir()]
    return out.read_bytes()


class Served:
    """A `restore serve --port 0` process; ``url`` is the address it printed."""

    def __init__(self, tmp: Path, *args: str, env: dict | None = None):
        self.tmp = tmp
        self.proc = subprocess.Popen([sys.executable, "-m", "restore", "serve", "--port", "0", *args],
                                     cwd=ROOT, stderr=subprocess.PIPE, text=True,
                                     env=os.environ | {"RESTORE_SERVE_TMP": str(tmp)} | (env or {}))
        t0 = time.time()
        line = self.proc.stderr.readline()
        self.startup_s = time.time() - t0
        m = re.search(r"open (http://\S+)", line)
        assert m, f"no address printed: {line!r}"
        self.url = m.group(1).split("?")[0].rstrip("/")
        self.printed = m.group(1)

    def stop(self, sig=signal.SIGINT, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "serve"
    root.mkdir()
    s = Served(root)
    yield s
    s.stop()
