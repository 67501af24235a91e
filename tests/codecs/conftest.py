"""A tiny baked codec in a temporary weights folder, shared by the codec tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tinycodec import make_tiny_codec


@pytest.fixture(scope="session")
def codec_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("weights")
    make_tiny_codec(root)
    return root


@pytest.fixture
def tiny_codec(codec_dir, monkeypatch):
    """The tiny codec loaded through the public API (RESTORE_WEIGHTS_DIR points at it)."""
    from restore.api import load

    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(codec_dir))
    return load("codec")
