"""Retired codec generations: a one-line message that says how to get the weights, and the same pixels once
they are back in a weights folder (a tiny generated codec stands in for a 66 MB one)."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from restore.weights import WEIGHTS_DIR, Manifest, RetiredModelError
from tinycodec import make_tiny_codec


@pytest.fixture
def retired(tmp_path, monkeypatch):
    """(folder whose manifest retired 'codec-old', a file coded with it, its decoded pixels, its weights)."""
    from restore.api import decode, encode

    live = tmp_path / "live"
    make_tiny_codec(live, model_id="codec-old", seed=3, steps=10)
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(live))
    photo = (np.arange(48 * 64 * 3) % 251).astype(np.uint8).reshape(48, 64, 3)
    data = encode(photo, quality=2, model="codec-old")
    pixels = decode(data).pixels
    kept = shutil.copy(live / "codec-old.safetensors", tmp_path / "kept.safetensors")
    Manifest(live).retire("codec-old", "0123456789abcdef0123456789abcdef01234567")
    (live / "codec-old.safetensors").unlink()
    return live, data, pixels, kept


def test_a_retired_model_fails_with_one_line_that_says_how_to_get_it(retired, tmp_path):
    from restore.api import _cache, decode
    from restore.codecs.container import CodecFormatError

    live, data, _, _ = retired
    _cache.clear()
    with pytest.raises(CodecFormatError) as err:
        decode(data)
    msg = str(err.value)
    sha = Manifest(live).retired[0].sha256
    assert "\n" not in msg and "'codec-old'" in msg and sha[:16] in msg
    assert "git show 0123456789ab:weights/codec-old.safetensors > DIR/codec-old.safetensors" in msg
    assert "RESTORE_WEIGHTS_DIR=DIR" in msg
    assert not (live / "codec-old.md").exists()          # its model card went with it


def test_its_weights_back_in_the_folder_decode_the_same_pixels(retired):
    from restore.api import _cache, decode

    live, data, pixels, kept = retired
    shutil.copy(kept, live / "codec-old.safetensors")
    _cache.clear()
    assert torch.equal(decode(data).pixels, pixels)


def test_a_folder_with_only_the_weights_file_uses_the_shipped_retired_record(retired, tmp_path, monkeypatch):
    """What the message tells a user to do: a folder holding nothing but the extracted file."""
    from restore.api import _cache, decode
    from restore.weights import _read

    live, data, pixels, kept = retired
    folder = tmp_path / "DIR"
    folder.mkdir()
    shutil.copy(kept, folder / "codec-old.safetensors")
    record = _read(live / "manifest.json")["retired"]
    monkeypatch.setattr("restore.weights._read", lambda f: {"models": [], "retired": record}
                        if f == WEIGHTS_DIR / "manifest.json" else _read(f))
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(folder))
    _cache.clear()
    assert torch.equal(decode(data).pixels, pixels)


def test_a_tampered_retired_file_is_refused(retired):
    from restore.api import _cache, decode
    from restore.weights import WeightsError

    live, data, _, kept = retired
    raw = bytearray(kept.read_bytes())
    raw[-1] ^= 1
    (live / "codec-old.safetensors").write_bytes(bytes(raw))
    _cache.clear()
    with pytest.raises(WeightsError, match="does not match the manifest hash"):
        decode(data)


def test_the_shipped_retired_records_name_a_commit_and_are_not_loadable_by_default():
    m = Manifest(WEIGHTS_DIR)
    assert {e.id for e in m.retired} >= {"codec-hp-s", "codec-hp-lf3"}
    assert all(len(e.commit) == 40 and not e.aliases for e in m.retired)
    assert {e.id for e in m.entries}.isdisjoint(e.id for e in m.retired)
    gone = [e for e in m.retired if not e.path(WEIGHTS_DIR).exists()]
    assert gone, "at least the first retired generations have left the package folder"
    with pytest.raises(RetiredModelError, match="is retired and no longer shipped"):
        m.resolve(gone[0].id)
