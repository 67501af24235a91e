"""The shipped manifest: every file present, hash verified, strict loading; and the failure modes."""
from __future__ import annotations

import json

import pytest

from restore.archs.srnet import SRNet
from restore.weights import WEIGHTS_DIR, Manifest, ModelEntry, WeightsError, build_model, load_state, save_state, \
    sha256_file

SHIPPED = Manifest().entries


def test_manifest_is_not_empty_and_has_sr_aliases():
    aliases = {a for e in SHIPPED for a in e.aliases}
    assert {"sr-x2", "sr-x3", "sr-x4"} <= aliases


@pytest.mark.parametrize("entry", SHIPPED, ids=lambda e: e.id)
def test_every_shipped_weight_is_present_hashed_and_loads_strictly(entry: ModelEntry):
    path = WEIGHTS_DIR / entry.file
    assert path.is_file(), f"{entry.file} missing"
    assert sha256_file(path) == entry.sha256
    model = build_model(entry)
    assert sum(p.numel() for p in model.parameters()) == entry.training["params"]
    for key in ("data", "steps", "cpu_minutes", "validation"):
        assert key in entry.training
    assert not any("bench" in d for d in entry.training["data"])


def _tiny_entry(root) -> ModelEntry:
    net = SRNet("res", {"channels": 4, "blocks": 1}, (2,))
    digest = save_state(net, root / "tiny.safetensors")
    arch, kwargs = net.arch_spec
    e = ModelEntry(id="srnet-sr-tiny", task="sr", arch=arch, kwargs=kwargs, file="tiny.safetensors",
                   sha256=digest, aliases=["tiny-x2"], scales=[2])
    Manifest(root).upsert(e)
    return e


def test_tampered_file_is_refused(tmp_path):
    e = _tiny_entry(tmp_path)
    data = bytearray((tmp_path / e.file).read_bytes())
    data[-1] ^= 1
    (tmp_path / e.file).write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match the manifest hash"):
        load_state(e, tmp_path)


def test_missing_file_and_unknown_name(tmp_path):
    e = _tiny_entry(tmp_path)
    (tmp_path / e.file).unlink()
    with pytest.raises(WeightsError, match="missing"):
        load_state(e, tmp_path)
    with pytest.raises(KeyError, match="unknown model 'nope'"):
        Manifest(tmp_path).resolve("nope")


def test_alias_resolves_with_scale_and_strict_keys(tmp_path):
    e = _tiny_entry(tmp_path)
    m = Manifest(tmp_path)
    got, scale = m.resolve("tiny-x2")
    assert got.id == e.id and scale == 2
    e2 = ModelEntry(**{**vars(e), "kwargs": {**e.kwargs, "body_kwargs": {"channels": 4, "blocks": 2}}})
    with pytest.raises(RuntimeError, match="Missing key"):
        build_model(e2, tmp_path)
    saved = json.loads((tmp_path / "manifest.json").read_text())
    assert saved["models"][0]["sha256"] == e.sha256
