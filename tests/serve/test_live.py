"""A real `restore serve` process on loopback: start-up, refusal without a token, load, and Ctrl-C mid-job."""
from __future__ import annotations

import concurrent.futures as cf
import json
import subprocess
import sys
import time
import urllib.request
import uuid

import numpy as np

from helpers import ROOT

from .conftest import Served, png_bytes


def request(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, dict(r.headers), r.read()


def multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    for field, name, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_it_listens_on_loopback_and_serves_the_page(served):
    assert served.url.startswith("http://127.0.0.1:") and served.startup_s < 30
    status, headers, body = request(served.url + "/")
    assert status == 200 and b"<title>restore</title>" in body


def test_another_address_without_a_token_is_refused():
    r = subprocess.run([sys.executable, "-m", "restore", "serve", "--host", "0.0.0.0"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"} | _py_env())
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: --host 0.0.0.0 is reachable from other machines: give --token T (or set RESTORE_TOKEN) so that "
        "only those who have it can use the server"]


def test_a_port_in_use_is_a_one_line_error(served):
    port = served.url.rsplit(":", 1)[1]
    r = subprocess.run([sys.executable, "-m", "restore", "serve", "--port", port], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use (choose another "
                                f"--port, or 0 for any free one)")


def _py_env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "RESTORE_TOKEN"}


def test_twenty_queued_jobs_and_fifty_status_requests(served, photo_u8):
    """Every job finishes exactly once, status answers within a second while jobs run, memory stays bounded."""
    body, headers = multipart({"scale": "2"}, [("image", "a.png", png_bytes(photo_u8))])
    before = served.rss_mb()
    ids = []
    for _ in range(20):
        status, _, raw = request(served.url + "/api/v1/sr?mode=async", body, headers, "POST")
        assert status == 202
        ids.append(json.loads(raw)["id"])
    assert len(set(ids)) == 20

    def status_of(jid: str) -> tuple[float, str]:
        t = time.time()
        _, _, raw = request(f"{served.url}/api/v1/jobs/{jid}")
        return time.time() - t, json.loads(raw)["state"]

    with cf.ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(status_of, [ids[i % 20] for i in range(50)]))
    assert max(t for t, _ in answers) < 1.0
    deadline = time.time() + 300
    while time.time() < deadline:
        states = [status_of(j)[1] for j in ids]
        if all(s == "done" for s in states):
            break
        assert not any(s in ("failed", "cancelled") for s in states)
        time.sleep(0.2)
    _, _, listing = request(served.url + "/api/v1/jobs")
    assert sorted(j["id"] for j in json.loads(listing)) == sorted(ids)       # none lost, none duplicated
    outputs = {request(f"{served.url}/api/v1/jobs/{j}/result")[2] for j in ids}
    assert len(outputs) == 1                                                 # the same input, the same bytes
    assert served.rss_mb() - before < 400
    for _ in range(100):                                   # fetched results are deleted (just after sending)
        if not any(served.tmp.rglob("*.png")):
            break
        time.sleep(0.05)
    assert not any(served.tmp.rglob("*.png"))


def test_ctrl_c_mid_job_leaves_nothing_behind(tmp_path):
    root = tmp_path / "serve"
    root.mkdir()
    s = Served(root)
    big = png_bytes(np.random.default_rng(0).integers(0, 255, (384, 384, 3), dtype=np.uint8))
    body, headers = multipart({"scale": "4", "tile": "32"}, [("image", "big.png", big)])
    _, _, raw = request(s.url + "/api/v1/sr?mode=async", body, headers, "POST")
    jid = json.loads(raw)["id"]
    for _ in range(200):
        job = json.loads(request(f"{s.url}/api/v1/jobs/{jid}")[2])
        if job["state"] == "running" and job["progress"]["done"] > 0:
            break
        time.sleep(0.05)
    assert job["state"] == "running"
    assert any(root.iterdir())                              # the job's folder exists while it runs
    t = time.time()
    assert s.stop() == 0
    assert time.time() - t < 30
    assert list(root.iterdir()) == []
