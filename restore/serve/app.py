"""The HTTP side of ``restore serve``: a FastAPI app with the page, the JSON API and the jobs.

    GET  /                       the page (static files from restore/serve/static; nothing from the internet)
    GET  /api/v1/models          installed models          GET /api/v1/tasks   tasks and their form fields
    POST /api/v1/<task>          multipart: image (burst: several), the task's options → the result file;
                                 ?mode=async → 202 and the job, to poll
    GET  /api/v1/jobs            jobs                      GET /api/v1/jobs/<id>   one job's state and progress
    GET  /api/v1/jobs/<id>/result   the result (deleted once fetched unless ?keep=1)
    POST /api/v1/jobs/<id>/cancel   DELETE /api/v1/jobs/<id>   GET /api/v1/jobs.zip?ids=a,b  results as a zip
    GET  /docs                   the OpenAPI page FastAPI makes

Errors are 4xx (5xx for our own faults) with ``{"error": "<the CLI's one-line message>"}``.
"""
from __future__ import annotations

import asyncio
import hmac
import io
import re
import zipfile
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from restore.serve.forms import TASKS, Commands, FormError, command_line, describe_tasks, model_files
from restore.serve.jobs import Job, JobQueue, QueueFull, output_name

__all__ = ["Settings", "create_app", "LOOPBACK"]

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
COOKIE = "restore_token"
MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
         ".tif": "image/tiff", ".tiff": "image/tiff", ".bmp": "image/bmp", ".rst": "application/octet-stream",
         ".zip": "application/zip"}
UPLOAD_EXTS = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".rst")


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    token: Optional[str] = None
    max_upload_mb: float = 200.0          # per request
    max_pixels: float = 100e6             # per input image
    ttl_s: float = 1800.0                 # a finished job's files live this long unless fetched or deleted
    temp_root: Optional[Path] = None      # where the private folder is made (default: the system's)
    model_dir: Optional[Path] = None      # community model files offered by file name


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def safe_name(name: str, fallback: str = "image") -> str:
    """A file name for display and downloads (never a server path): the last part, plain characters only."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .")
    return base[:120] or fallback


def safe_relative(name: str) -> str:
    """A relative path kept for a zip entry (a folder upload's tree): plain parts, no '..', no root."""
    parts = [safe_name(p, "") for p in re.split(r"[\\/]", name or "") if p not in ("", ".", "..")]
    return "/".join(p for p in parts if p) or "image"


def create_app(settings: Settings, commands: Commands) -> FastAPI:
    """The app serving ``commands`` (the CLI's, by name: ``restore serve`` passes its click group's)."""
    jobs_holder: dict = {}
    offered = model_files(settings.model_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        jobs_holder["q"] = JobQueue(commands, settings.temp_root, settings.ttl_s)
        try:
            yield
        finally:
            await asyncio.get_running_loop().run_in_executor(None, jobs_holder["q"].close)

    app = FastAPI(title="restore", version=_version(), lifespan=lifespan,
                  description="Image restoration and learned compression: every task of the restore CLI over HTTP.")

    def q() -> JobQueue:
        return jobs_holder["q"]

    allowed_hosts = {settings.host, *(LOOPBACK if settings.host in LOOPBACK else ())}

    @app.middleware("http")
    async def guard(request: Request, call_next):
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
        if settings.host in LOOPBACK and host not in allowed_hosts:      # DNS rebinding
            return error(403, f"host {host!r} is not this server")
        if settings.token is not None and not _authorised(request, settings.token):
            return error(401, "a token is needed: open the address with ?token= that `restore serve` printed, "
                              "or send the header Authorization: Bearer <token>")
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_upload_mb * 2 ** 20:
            return error(413, f"upload of {int(length) / 2 ** 20:.1f} MB is larger than --max-upload-mb "
                              f"{settings.max_upload_mb:g}")
        response = await call_next(request)
        if settings.token is not None and request.query_params.get("token") == settings.token:
            response.set_cookie(COOKIE, settings.token, httponly=True, samesite="strict")
        return response

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        path = STATIC / safe_name(name)
        if not path.is_file() or path.parent != STATIC:
            return error(404, f"no file {name!r}")
        return FileResponse(path)

    @app.get("/api/v1/models")
    async def models() -> list[dict]:
        """The installed models (id, task, aliases, scales, architecture, whether a task runs it by default), then
        the model files of ``--model-dir`` (task ``sr`` for an upscaler, ``file`` for a ×1 model that ``denoise``
        and ``dejpeg`` take)."""
        from restore.weights import Manifest

        man = Manifest()
        defaults = _defaults(man)
        ours = [{"id": e.id, "task": e.task, "aliases": e.aliases, "scales": e.scales, "arch": e.arch,
                 "default": e.id in defaults, "file": False} for e in man.entries]
        return ours + [{"id": name, "task": "sr" if d["scale"] > 1 else "file", "aliases": [],
                        "scales": [d["scale"]], "arch": d["architecture"], "default": False, "file": True}
                       for name, d in offered.items()]

    @app.get("/api/v1/tasks")
    async def tasks() -> list[dict]:
        """Each task with the form fields its POST takes (the CLI's long options)."""
        return describe_tasks(commands)

    @app.get("/api/v1/jobs")
    async def list_jobs() -> list[dict]:
        return [j.public() for j in q().jobs.values()]

    @app.get("/api/v1/jobs.zip")
    async def jobs_zip(ids: str):
        """The results of the given jobs (comma-separated ids) as one zip, each under the name it was uploaded
        with (a folder's tree kept); the results stay until their jobs are deleted or expire."""
        buf = io.BytesIO()
        seen = set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for jid in ids.split(","):
                job = q().get(jid.strip())
                if job is None or job.result is None:
                    return error(404, f"no finished job {jid.strip()!r}")
                name = output_name(job, job.result)
                while name in seen:
                    name = "_" + name
                seen.add(name)
                z.write(job.result, name)
        return Response(buf.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="restore-results.zip"'})

    @app.get("/api/v1/jobs/{jid}")
    async def job_state(jid: str):
        job = q().get(jid)
        return error(404, f"no job {jid!r}") if job is None else job.public()

    @app.post("/api/v1/jobs/{jid}/cancel")
    async def cancel(jid: str):
        job = q().cancel(jid)
        return error(404, f"no job {jid!r}") if job is None else job.public()

    @app.delete("/api/v1/jobs/{jid}")
    async def delete(jid: str):
        if q().get(jid) is None:
            return error(404, f"no job {jid!r}")
        await asyncio.get_running_loop().run_in_executor(None, q().remove, jid)
        return {"deleted": jid}

    @app.get("/api/v1/jobs/{jid}/result")
    async def result(jid: str, keep: bool = False):
        job = q().get(jid)
        if job is None:
            return error(404, f"no job {jid!r}")
        if job.state in ("queued", "running"):
            return error(409, f"job {jid} is {job.state}")
        if job.result is None:
            return error(job.status, job.error or "no result")
        return file_response(job, None if keep else BackgroundTask(q().remove, jid))

    @app.post("/api/v1/{task}")
    async def run(task: str, request: Request, mode: str = "sync"):
        """Run ``task`` on the multipart field ``image`` (``burst``: the frames, each an ``image`` field) with
        the task's options as form fields. ``mode=async`` answers 202 with the job to poll."""
        if task not in TASKS:
            return error(404, f"unknown task {task!r}; use one of {', '.join(TASKS)}")
        try:
            job = await accept(task, request)
        except FormError as e:
            return error(400, str(e))
        except TooLarge as e:
            return error(413, str(e))
        try:
            q().submit(job)
        except QueueFull as e:
            return error(503, str(e))
        if mode == "async":
            return JSONResponse(job.public() | {"status_url": f"/api/v1/jobs/{job.id}",
                                                "result_url": f"/api/v1/jobs/{job.id}/result"}, status_code=202)
        while not job.finished_event.is_set():
            await asyncio.sleep(0.05)
            if await request.is_disconnected():
                q().cancel(job.id)
        if job.result is None:
            q().remove(job.id)
            return error(job.status, job.error or job.state)
        return file_response(job, BackgroundTask(q().remove, job.id))

    async def accept(task: str, request: Request) -> Job:
        """Read the form: the files into the job's private folder (under names the server makes), the rest
        into the command line."""
        form = await request.form(max_files=64, max_fields=64)
        files = [v for k, v in form.multi_items() if isinstance(v, UploadFile)]
        fields: dict[str, list[str]] = {}
        for k, v in form.multi_items():
            if not isinstance(v, UploadFile) and k not in ("name",):
                fields.setdefault(k, []).append(str(v))
        bad = [k for k, v in form.multi_items() if isinstance(v, UploadFile) and k != "image"]
        if bad:
            raise FormError(f"files go in the field 'image', not {bad[0]!r}")
        if not files:
            raise FormError("no file: send the image in the multipart field 'image'")
        if task != "burst" and len(files) > 1:
            raise FormError(f"{task} takes one image per request ({len(files)} sent); burst takes several")
        args, shown = command_line(commands, task, fields, {name: d["path"] for name, d in offered.items()})
        display = str(form.get("name") or files[0].filename or "image")
        job = q().new_job(task, args, shown, {k: v[0] for k, v in fields.items()}, safe_relative(display))
        budget = settings.max_upload_mb * 2 ** 20
        for i, f in enumerate(files):
            ext = Path(safe_name(f.filename or "")).suffix.lower()
            dst = job.folder / "in" / f"{i:03d}{ext if ext in UPLOAD_EXTS else '.img'}"
            budget -= await _save(f, dst, budget)
            _check_pixels(dst, settings.max_pixels)
            job.inputs.append(dst)
        return job

    return app


class TooLarge(Exception):
    pass


async def _save(upload: UploadFile, dst: Path, budget: float) -> int:
    size = 0
    with open(dst, "wb") as out:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > budget:
                raise TooLarge("upload is larger than --max-upload-mb")
            out.write(chunk)
    return size


def _check_pixels(path: Path, max_pixels: float) -> None:
    """413 for an image above --max-pixels, read from its header (a file that is not an image is left to the
    command, which says so in its own words)."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as im:
            w, h = im.size
    except Exception:  # noqa: BLE001 - not an image Pillow knows: the command decides
        return
    if w * h > max_pixels:
        raise TooLarge(f"image of {w}×{h} ({w * h / 1e6:.1f} MP) is larger than --max-pixels {max_pixels / 1e6:g} MP")


def file_response(job: Job, cleanup: Optional[BackgroundTask]) -> FileResponse:
    ran = job.note.split(" (")[0] if job.note else ", ".join(job.models)     # sr's note names what ran
    headers = {"X-Restore-Model": ran, "X-Restore-Job": job.id,
               "X-Restore-Command": " ".join(["restore", job.task, *job.shown])}
    if job.note:
        headers["X-Restore-Note"] = job.note.encode("ascii", "replace").decode()
    if job.info:
        headers |= {f"X-Restore-{k.capitalize()}": str(v) for k, v in job.info.items()}
    return FileResponse(job.result, media_type=MEDIA.get(job.result.suffix, "application/octet-stream"),
                        filename=output_name(job, job.result).rsplit("/", 1)[-1], headers=headers, background=cleanup)


def _authorised(request: Request, token: str) -> bool:
    given = request.query_params.get("token") or request.cookies.get(COOKIE) or \
        request.headers.get("x-restore-token") or ""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
    return hmac.compare_digest(given.encode(), token.encode())


def _defaults(man) -> set:
    """The ids the tasks run by default (their default aliases resolved in ``man``)."""
    from restore.tasks.spec import task_specs

    out = set()
    for spec in task_specs().values():
        try:
            out.add(man.resolve(spec.default)[0].id)
        except KeyError:
            pass
    return out


def _version() -> str:
    from restore import __version__

    return __version__
