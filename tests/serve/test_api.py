"""The HTTP API through FastAPI's test client: every task gives the CLI's bytes, every error a JSON one-liner."""
from __future__ import annotations

import io
import time
import zipfile

import numpy as np
import pytest

from .conftest import cli_output, commands, make_app, png_bytes


def jpeg_bytes(arr: np.ndarray, quality: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def cases(photo: np.ndarray) -> dict:
    """task → (uploads, form fields, CLI arguments): the same options both ways."""
    png = png_bytes(photo)
    mosaic = photo[:, :, 1].copy()
    mosaic[0::2, 0::2] = photo[0::2, 0::2, 0]
    mosaic[1::2, 1::2] = photo[1::2, 1::2, 2]
    frames = [("f0.png", png), ("f1.png", png_bytes(np.roll(photo, 1, axis=1))),
              ("f2.png", png_bytes(np.roll(photo, -1, axis=0)))]
    return {
        "sr": ([("a.png", png)], {"scale": "2"}, ["--scale", "2"]),
        "denoise": ([("a.png", png)], {"sigma": "10", "strength": "0.7"}, ["--sigma", "10", "--strength", "0.7"]),
        "dejpeg": ([("a.jpg", jpeg_bytes(photo, 30))], {}, []),
        "dehaze": ([("a.png", png)], {"ext": "jpg", "quality": "90"}, ["--ext", "jpg", "--quality", "90"]),
        "derain": ([("a.png", png)], {}, []),
        "desnow": ([("a.png", png)], {}, []),
        "deweather": ([("a.png", png)], {}, []),
        "dereflect": ([("a.png", png)], {"layer": "true"}, ["--layer"]),
        "demosaic": ([("m.png", png_bytes(mosaic))], {"pattern": "RGGB"}, ["--pattern", "RGGB"]),
        "burst": (frames, {}, []),
        "encode": ([("a.png", png)], {"quality": "2"}, ["--quality", "2"]),
    }


@pytest.mark.parametrize("task", ["sr", "denoise", "dejpeg", "dehaze", "derain", "desnow", "deweather", "dereflect",
                                  "demosaic", "burst", "encode", "decode"])
def test_each_task_returns_the_clis_bytes(client, photo_u8, tmp_path, task):
    if task == "decode":
        uploads, fields, args = [("a.rst", client.post("/api/v1/encode", files={"image": ("a.png", png_bytes(
            photo_u8), "image/png")}, data={"quality": "1"}).content)], {}, []
    else:
        uploads, fields, args = cases(photo_u8)[task]
    files = [("image", (name, data, "application/octet-stream")) for name, data in uploads]
    r = client.post(f"/api/v1/{task}", files=files, data=fields)
    assert r.status_code == 200, r.text
    if task == "dereflect":            # two outputs (the scene and the reflection layer): a zip of both
        got = zipfile.ZipFile(io.BytesIO(r.content))
        assert sorted(got.namelist()) == ["a_dereflected.png", "a_dereflected_reflection.png"]
        return
    assert r.content == cli_output(tmp_path, task, uploads, args)
    assert r.headers["x-restore-model"]
    assert r.headers["x-restore-command"] == " ".join(["restore", task, *args])


def test_sr_names_the_model_that_ran_and_the_download(client, photo_png):
    r = client.post("/api/v1/sr", files={"image": ("holiday photo.png", photo_png)}, data={"scale": "2"})
    assert r.headers["x-restore-model"] == "srnet-sr-s"
    assert r.headers["content-disposition"] == "attachment; filename*=utf-8''holiday%20photo_x2.png"
    from PIL import Image

    assert Image.open(io.BytesIO(r.content)).size == (128, 96)


def test_denoise_strength_is_a_form_field(client, photo_png):
    r = client.post("/api/v1/denoise", files={"image": ("a.png", photo_png)}, data={"strength": "0.5"})
    assert r.status_code == 200 and r.headers["x-restore-model"] == "denoisenet-denoise-real-s"   # blind: camera
    assert r.headers["x-restore-command"] == "restore denoise --strength 0.5"
    r = client.post("/api/v1/denoise", files={"image": ("a.png", photo_png)}, data={"noise": "gaussian"})
    assert r.status_code == 200 and r.headers["x-restore-model"] == "denoisenet-denoise-s"
    assert r.headers["x-restore-command"] == "restore denoise --noise gaussian"


def test_the_codec_reports_size_bits_per_pixel_and_psnr(client, photo_png):
    r = client.post("/api/v1/encode", files={"image": ("a.png", photo_png)}, data={"quality": "2"})
    assert int(r.headers["x-restore-bytes"]) == len(r.content)
    assert float(r.headers["x-restore-bpp"]) == pytest.approx(len(r.content) * 8 / (48 * 64), abs=1e-3)
    assert 20 < float(r.headers["x-restore-psnr"]) < 60


@pytest.mark.parametrize("fields,message", [
    ({"bogus": "1"}, "unknown option 'bogus' for sr; it takes: scale, size"),
    ({"output": "/etc/x.png"}, "unknown option 'output' for sr"),
    ({"scale": "9"}, "scale must be between 1 and 4, not 9"),
    ({"model": "../../weights/x.pth"}, "not a path"),
    ({"model": "nonesuch"}, "unknown model 'nonesuch'"),
    ({"degradation": "sometimes"}, "'sometimes' is not one of 'auto', 'clean', 'real'"),
])
def test_bad_options_are_400_with_the_clis_message(client, photo_png, fields, message):
    r = client.post("/api/v1/sr", files={"image": ("a.png", photo_png)}, data=fields)
    assert r.status_code == 400 and message in r.json()["error"]
    assert "\n" not in r.json()["error"]


def test_a_file_that_is_not_an_image_is_a_422_naming_the_upload(client):
    r = client.post("/api/v1/sr", files={"image": ("notes.txt", b"hello")}, data={"scale": "2"})
    assert r.status_code == 422
    assert r.json() == {"error": "notes.txt: not a readable image (unrecognised or corrupt format)"}


def test_requests_without_a_file_or_for_unknown_tasks(client, photo_png):
    assert client.post("/api/v1/sr", data={"scale": "2"}).json()["error"].startswith("no file")
    r = client.post("/api/v1/upscale", files={"image": ("a.png", photo_png)})
    assert r.status_code == 404 and "unknown task 'upscale'" in r.json()["error"]
    r = client.post("/api/v1/sr", files=[("image", ("a.png", photo_png)), ("image", ("b.png", photo_png))])
    assert r.status_code == 400 and "one image per request" in r.json()["error"]


def test_too_large_uploads_and_images_are_413(tmp_path, photo_png):
    from fastapi.testclient import TestClient

    from restore.serve.app import Settings

    app = make_app(Settings(max_upload_mb=0.001, temp_root=tmp_path))
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        r = c.post("/api/v1/sr", files={"image": ("a.png", photo_png)})
        assert r.status_code == 413 and "--max-upload-mb 0.001" in r.json()["error"]
    with TestClient(make_app(Settings(max_pixels=1000, temp_root=tmp_path)), base_url="http://127.0.0.1:8000") as c:
        r = c.post("/api/v1/sr", files={"image": ("a.png", photo_png)})
        assert r.status_code == 413 and r.json()["error"] == ("image of 64×48 (0.0 MP) is larger than --max-pixels "
                                                              "0.001 MP")
    assert list(tmp_path.iterdir()) == []                # both servers removed their folders


def test_a_token_guards_every_request(tmp_path, photo_png):
    from fastapi.testclient import TestClient

    from restore.serve.app import Settings

    app = make_app(Settings(host="0.0.0.0", token="s3cret", temp_root=tmp_path))
    with TestClient(app, base_url="http://192.168.1.5:8000") as c:
        assert c.get("/").status_code == 401
        assert "token" in c.get("/api/v1/models").json()["error"]
        assert c.get("/api/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/v1/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        r = c.get("/?token=s3cret")                       # the printed address: the page, and a cookie
        assert r.status_code == 200 and "restore" in r.text
        assert c.get("/api/v1/models").status_code == 200          # the cookie carries it from now on
        r = c.post("/api/v1/sr", files={"image": ("a.png", photo_png)}, data={"scale": "2"})
        assert r.status_code == 200


def test_a_loopback_server_refuses_other_host_names(client):
    r = client.get("/api/v1/models", headers={"host": "evil.example:8000"})
    assert r.status_code == 403 and "not this server" in r.json()["error"]


def wait(client, jid: str) -> dict:
    for _ in range(600):
        state = client.get(f"/api/v1/jobs/{jid}").json()
        if state["state"] not in ("queued", "running"):
            return state
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_async_jobs_poll_fetch_once_and_vanish(client, photo_png):
    r = client.post("/api/v1/sr?mode=async", files={"image": ("a.png", photo_png)}, data={"scale": "3"})
    assert r.status_code == 202
    job = r.json()
    assert job["status_url"] == f"/api/v1/jobs/{job['id']}" and job["command"] == "restore sr INPUT --scale 3"
    done = wait(client, job["id"])
    assert done["state"] == "done" and done["progress"]["done"] == done["progress"]["total"] >= 1
    assert done["options"] == {"scale": "3"} and done["models"]
    assert client.get(job["result_url"] + "?keep=1").status_code == 200
    assert client.get(job["result_url"]).status_code == 200
    assert client.get(job["status_url"]).status_code == 404            # fetched: gone, files and all
    assert list(client.root.rglob("*.png")) == []


def test_a_batch_downloads_as_one_zip_keeping_folders(client, photo_png):
    ids = []
    for name in ("trip/day1/a.png", "trip/day2/a.png"):
        r = client.post("/api/v1/sr?mode=async", files={"image": ("a.png", photo_png)},
                        data={"scale": "2", "name": name})
        ids.append(r.json()["id"])
    for jid in ids:
        wait(client, jid)
    z = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/jobs.zip?ids=" + ",".join(ids)).content))
    assert sorted(z.namelist()) == ["trip/day1/a_x2.png", "trip/day2/a_x2.png"]
    r = client.post("/api/v1/sr?mode=async", files={"image": ("x.png", photo_png)}, data={"name": "../../etc/x.png"})
    assert r.json()["name"] == "etc/x.png"                         # a name is never a path out of the zip


def test_cancelling_a_queued_job(client, photo_png):
    big = png_bytes(np.zeros((256, 256, 3), np.uint8))
    first = client.post("/api/v1/sr?mode=async", files={"image": ("big.png", big)},
                        data={"scale": "4", "tile": "32"}).json()
    second = client.post("/api/v1/sr?mode=async", files={"image": ("a.png", photo_png)}).json()
    assert client.post(f"/api/v1/jobs/{second['id']}/cancel").json()["state"] == "cancelled"
    client.post(f"/api/v1/jobs/{first['id']}/cancel")
    assert wait(client, first["id"])["state"] == "cancelled"
    r = client.get(f"/api/v1/jobs/{second['id']}/result")
    assert r.status_code == 409 and r.json()["error"] == "cancelled"


def test_the_page_lists_tasks_and_models(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2Fapp.py").status_code == 404
    tasks = {t["task"]: t for t in client.get("/api/v1/tasks").json()}
    assert set(tasks) >= {"sr", "denoise", "encode", "decode", "burst"}
    names = [f["name"] for f in tasks["sr"]["fields"]]
    assert names[:3] == ["scale", "size", "degradation"] and "output" not in names
    models = client.get("/api/v1/models").json()
    assert any(m["id"] == "srnet-sr-s" and m["default"] for m in models)
    assert client.get("/openapi.json").json()["info"]["title"] == "restore"


def test_serve_without_its_extra_names_the_extra(monkeypatch, capsys):
    import sys

    from restore.cli import main

    monkeypatch.setitem(sys.modules, "fastapi", None)          # as if not installed
    assert main(["serve"]) == 2
    assert capsys.readouterr().err.strip() == ("error: restore serve needs the serve extra (fastapi is missing): "
                                               "pip install 'restore[serve]'")


def test_model_files_of_the_model_dir_are_offered_by_name(tmp_path, photo_u8):
    """`restore serve --model-dir DIR`: a community file is chosen by its name, never by a request's path."""
    import torch
    from fastapi.testclient import TestClient
    from spandrel.architectures.Compact import Compact

    from restore.serve.app import Settings

    models = tmp_path / "models"
    models.mkdir()
    torch.manual_seed(0)
    torch.save(Compact(num_feat=8, num_conv=2, upscale=2).state_dict(), models / "tiny-compact-x2.pth")
    (models / "notes.txt").write_text("not a model")
    png = png_bytes(photo_u8)
    with TestClient(make_app(Settings(model_dir=models, temp_root=tmp_path)),
                    base_url="http://127.0.0.1:8000") as c:
        listed = [m for m in c.get("/api/v1/models").json() if m["file"]]
        assert listed == [{"id": "tiny-compact-x2.pth", "task": "sr", "aliases": [], "scales": [2],
                           "arch": "RealESRGAN Compact", "default": False, "file": True}]
        r = c.post("/api/v1/sr", files={"image": ("a.png", png)}, data={"scale": "2", "model": "tiny-compact-x2.pth"})
        assert r.status_code == 200, r.text
        assert r.headers["x-restore-command"] == "restore sr --scale 2 --model tiny-compact-x2.pth"   # no path
        assert r.content == cli_output(tmp_path, "sr", [("a.png", png)],
                                       ["--scale", "2", "--model", str(models / "tiny-compact-x2.pth")])
        r = c.post("/api/v1/sr", files={"image": ("a.png", png)},
                   data={"scale": "2", "model": str(models / "tiny-compact-x2.pth")})
        assert r.status_code == 400 and "not a path" in r.json()["error"]
        r = c.post("/api/v1/denoise", files={"image": ("a.png", png)}, data={"model": "tiny-compact-x2.pth"})
        assert r.status_code == 400 and "use it with `restore sr -s 2`" in r.json()["error"]


def test_the_readmes_curl_examples_name_real_routes_and_options(client):
    """Each `curl` line of the README: its path is a route of the app, its form fields options of the task."""
    import re

    from helpers import ROOT
    from restore.serve.forms import TASKS, command_line

    lines = [ln for ln in (ROOT / "README.md").read_text().splitlines() if ln.startswith("curl ")]
    assert len(lines) >= 5
    routes = {r.path for r in client.app.routes}
    for line in lines:
        path = re.search(r"http://127\.0\.0\.1:8000(/[^ ']*)", line).group(1).split("?")[0]
        task = path.rsplit("/", 1)[-1]
        if path.startswith("/api/v1/jobs/"):
            path = path.replace("/ID", "/{jid}")
        elif task in TASKS:
            path = "/api/v1/{task}"
        assert path in routes, line
        fields = dict(re.findall(r"-F (\w[\w-]*)=([^@ ][^ ]*)", line))
        if task in TASKS:
            command_line(commands(), task, {k: [v] for k, v in fields.items()})          # raises on an unknown option
