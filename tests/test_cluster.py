"""Scale-out batches: the resumable ledger, and a 2-worker local dask cluster that matches the single process."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from restore.cli import main
from restore.cli.ledger import Ledger
from restore.io import read_image

pytest.importorskip("distributed")     # declared in the test extra; a plain install runs without it


@pytest.fixture
def photos(tmp_path, photo_u8) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for i in range(6):
        PILImage.fromarray(np.roll(photo_u8, 7 * i, axis=1)[:40, :48]).save(d / f"p{i}.png")
    return d


def run(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.err


def pixels(folder: Path) -> dict[str, np.ndarray]:
    return {p.name: read_image(p).pixels.numpy() for p in sorted(folder.glob("*.png"))}


def test_ledger_counts_a_file_done_only_while_its_output_and_input_are_unchanged(tmp_path):
    src, dst = tmp_path / "a.png", tmp_path / "out" / "a.png"
    src.write_bytes(b"input")
    dst.parent.mkdir()
    dst.write_bytes(b"output")
    led = Ledger(tmp_path / "l.jsonl")
    assert not led.is_done(src, dst)
    led.record(src, dst)
    assert Ledger(tmp_path / "l.jsonl").is_done(src, dst)        # survives a restart
    assert not Ledger(tmp_path / "l.jsonl").is_done(src, tmp_path / "other.png")
    with open(tmp_path / "l.jsonl", "a") as f:                   # a run killed mid-line
        f.write('{"src": "/x", "sta')
    assert Ledger(tmp_path / "l.jsonl").is_done(src, dst)
    src.write_bytes(b"edited input")                              # the input changed: do it again
    assert not Ledger(tmp_path / "l.jsonl").is_done(src, dst)
    led.record(src, dst)
    dst.unlink()                                                  # the output is gone: do it again
    assert not Ledger(tmp_path / "l.jsonl").is_done(src, dst)
    dst.write_bytes(b"output")
    led.record(src, dst, error="a.png: broken")                   # a later failure supersedes
    assert not Ledger(tmp_path / "l.jsonl").is_done(src, dst)
    lines = [json.loads(x) for x in (tmp_path / "l.jsonl").read_text().splitlines()[-1:]]
    assert lines[0]["status"] == "failed" and lines[0]["error"] == "a.png: broken"


def test_two_worker_cluster_matches_single_process_and_resumes(photos, tmp_path, capsys):
    (photos / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    code, err = run(["sr", "-s", "2", photos, "-o", tmp_path / "ref", "--threads", "1", "-q"], capsys)
    assert code == 1 and "broken.png" in err
    code, err = run(["sr", "-s", "2", photos, "-o", tmp_path / "out", "--threads", "1", "--workers", "2"], capsys)
    assert code == 1
    assert err.count("error:") == 1 and "broken.png" in err and "6 written, 1 failed" in err
    ref, out = pixels(tmp_path / "ref"), pixels(tmp_path / "out")
    assert sorted(out) == [f"p{i}_x2.png" for i in range(6)] and sorted(ref) == sorted(out)
    for name in ref:
        assert np.array_equal(ref[name], out[name]), name
    ledger = tmp_path / "out" / ".restore-batch.jsonl"
    recs = [json.loads(x) for x in ledger.read_text().splitlines()]
    assert sorted(r["status"] for r in recs) == ["done"] * 6 + ["failed"]
    # a rerun does only what is not done: the failed file again, and a file whose output was lost
    (tmp_path / "out" / "p3_x2.png").unlink()
    before = (tmp_path / "out" / "p0_x2.png").stat().st_mtime_ns
    code, err = run(["sr", "-s", "2", photos, "-o", tmp_path / "out", "--threads", "1", "--workers", "2"], capsys)
    assert code == 1 and "1 written, 5 already done (manifest), 1 failed" in err
    assert (tmp_path / "out" / "p3_x2.png").exists()
    assert (tmp_path / "out" / "p0_x2.png").stat().st_mtime_ns == before


class KillWorkerOnce:
    """Runs ``inner`` but kills its own worker process on the first image after two outputs exist."""

    def __init__(self, inner, out: Path, marker: Path):
        self.inner, self.out, self.marker = inner, out, marker

    def __call__(self, img, progress=None):
        if len(list(self.out.glob("*.png"))) >= 2:
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
            except FileExistsError:
                pass
            else:
                os._exit(1)                       # the worker dies mid-file; its nanny starts a new one
        return self.inner(img, progress)


def test_a_killed_worker_loses_no_output(photos, tmp_path):
    import cloudpickle

    from restore.api import load
    from restore.cli.batch import BatchOptions, run_batch
    from restore.cli.common import model_call

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    m = load("sr-x2", scale=2)
    opts = BatchOptions(output=tmp_path / "out", suffix="_x2", workers=2, quiet=True)
    call = model_call(m, 1, opts, load={"scale": 2}, call={"tile": "auto"})
    (tmp_path / "out").mkdir()
    res = run_batch([photos], opts, KillWorkerOnce(call, tmp_path / "out", tmp_path / "killed"))
    assert (tmp_path / "killed").exists()           # a worker really died mid-batch
    assert not res.failed and len(res.done) == 6
    ref = tmp_path / "ref"
    single = BatchOptions(output=ref, suffix="_x2", quiet=True)
    run_batch([photos], single, model_call(m, 1, single, load={"scale": 2}, call={"tile": "auto"}))
    ref_px, out_px = pixels(ref), pixels(tmp_path / "out")
    assert sorted(ref_px) == sorted(out_px)
    assert all(np.array_equal(ref_px[k], out_px[k]) for k in ref_px)


def test_cluster_errors_are_one_line(photos, tmp_path, capsys):
    code, err = run(["sr", "-s", "2", photos, "-o", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9"], capsys)
    assert code == 1 and err.startswith("error: cannot reach the dask scheduler at tcp://127.0.0.1:9")
    assert "Traceback" not in err
