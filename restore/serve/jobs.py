"""Jobs of the server: each one a command run on uploaded files, queued and run one at a time by one worker
thread (the models want every core; two jobs at once would only fight for them), with its files in a private
folder that goes when its result is fetched, when it expires, and when the server stops."""
from __future__ import annotations

import queue
import secrets
import shutil
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import click

from restore.formats import first_line
from restore.observe import WATCH, Observer
from restore.serve.forms import Commands, command

__all__ = ["Job", "JobQueue", "Cancelled", "QueueFull", "output_name", "codec_info"]

STATES = ("queued", "running", "done", "failed", "cancelled")


class Cancelled(Exception):
    """Raised from a job's progress callback when it was cancelled (not one of the batch's file failures, so
    it ends the command)."""


class QueueFull(Exception):
    pass


@dataclass
class Job:
    id: str
    task: str
    args: list                          # the command line the form asked for (a --model-dir file by its path)
    shown: list                         # the same as shown to the client (the file by its name)
    options: dict                       # the form fields as given, shown with the job
    name: str                           # the upload's file name, shown and used for the download's name
    folder: Path                        # private: in/, out/
    inputs: list = field(default_factory=list)
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: Optional[float] = None
    finished: Optional[float] = None
    done_tiles: int = 0
    total_tiles: int = 0
    models: list = field(default_factory=list)
    note: Optional[str] = None          # what the task said of its choice (sr: which models ran and why)
    error: Optional[str] = None
    status: int = 200                   # the HTTP status the outcome maps to
    result: Optional[Path] = None
    info: dict = field(default_factory=dict)   # codec: bytes, bpp, PSNR against the input
    cancel: bool = False
    finished_event: threading.Event = field(default_factory=threading.Event, repr=False)

    def public(self) -> dict:
        """What ``GET /api/v1/jobs/<id>`` says (no server paths)."""
        return {"id": self.id, "task": self.task, "name": self.name, "options": self.options,
                "command": " ".join(["restore", self.task, "INPUT", *self.shown]), "state": self.state,
                "progress": {"done": self.done_tiles, "total": self.total_tiles}, "models": self.models,
                "note": self.note, "error": self.error, "result": self.result is not None, "info": self.info,
                "seconds": round((self.finished or time.time()) - self.started, 2) if self.started else None}


class JobQueue:
    """Jobs by id, a FIFO of the waiting ones and the worker thread that runs them."""

    def __init__(self, commands: Commands, root: Optional[Path] = None, ttl_s: float = 1800.0,
                 max_waiting: int = 200):
        self.commands = commands
        self.root = Path(tempfile.mkdtemp(prefix="restore-serve-", dir=root))   # mode 0700
        self.ttl_s = ttl_s
        self.max_waiting = max_waiting
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.waiting: queue.Queue = queue.Queue()
        self.closed = False
        self.worker = threading.Thread(target=self._work, name="restore-serve-worker", daemon=True)
        self.worker.start()

    # -- submitting and asking ------------------------------------------------------------------------------
    def new_job(self, task: str, args: list, shown: list, options: dict, name: str) -> Job:
        """A job with its private folder (its files are written there before :meth:`submit`)."""
        self.expire()
        jid = secrets.token_hex(8)
        folder = self.root / jid
        (folder / "in").mkdir(parents=True)
        (folder / "out").mkdir()
        return Job(jid, task, args, shown, options, name, folder)

    def submit(self, job: Job) -> Job:
        with self.lock:
            if self.closed:
                raise QueueFull("the server is stopping")
            if self.waiting.qsize() >= self.max_waiting:
                shutil.rmtree(job.folder, ignore_errors=True)
                raise QueueFull(f"{self.max_waiting} jobs are waiting already; try again later")
            self.jobs[job.id] = job
        self.waiting.put(job)
        return job

    def get(self, jid: str) -> Optional[Job]:
        return self.jobs.get(jid)

    def cancel(self, jid: str) -> Optional[Job]:
        job = self.jobs.get(jid)
        if job is not None and job.state in ("queued", "running"):
            job.cancel = True
            if job.state == "queued":
                self._end(job, "cancelled", 409, "cancelled")
        return job

    def remove(self, jid: str) -> None:
        """Forget a job and delete its files (a running one is cancelled first)."""
        job = self.cancel(jid) or self.jobs.get(jid)
        if job is None:
            return
        if job.state == "running":
            job.finished_event.wait(30)
        with self.lock:
            self.jobs.pop(jid, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def expire(self) -> None:
        """Remove finished jobs older than the time-to-live."""
        now = time.time()
        old = [j.id for j in list(self.jobs.values()) if j.finished and now - j.finished > self.ttl_s]
        for jid in old:
            self.remove(jid)

    def close(self, wait_s: float = 30.0) -> None:
        """Stop: cancel what waits and what runs, wait for the worker, delete every file of every job."""
        with self.lock:
            self.closed = True
        for job in list(self.jobs.values()):
            self.cancel(job.id)
        self.waiting.put(None)
        self.worker.join(wait_s)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- running ------------------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            job = self.waiting.get()
            if job is None or self.closed:
                return
            if job.state != "queued":
                continue
            job.state, job.started = "running", time.time()
            self._run(job)

    def _end(self, job: Job, state: str, status: int, error: Optional[str] = None) -> None:
        job.state, job.status, job.error, job.finished = state, status, error, time.time()
        job.finished_event.set()

    def _progress(self, job: Job):
        def progress(done: int, total: int) -> None:
            job.done_tiles, job.total_tiles = done, total
            if job.cancel or self.closed:
                raise Cancelled()
        return progress

    def _run(self, job: Job) -> None:
        obs = Observer(progress=self._progress(job))
        token = WATCH.set(obs)
        out = job.folder / "out"
        argv = [str(p) for p in job.inputs] + job.args + ["-o", f"{out}/", "--quiet"]
        try:
            rc = command(self.commands, job.task).main(args=argv, prog_name=f"restore {job.task}", standalone_mode=False)
        except Cancelled:
            return self._end(job, "cancelled", 409, "cancelled")
        except click.ClickException as e:
            return self._end(job, "failed", 400, self._clean(job, e.format_message()))
        except Exception as e:  # noqa: BLE001 - one job's failure must not stop the worker
            status = 422 if type(e).__name__ in ("ImageError", "CodecFormatError") else 500
            return self._end(job, "failed", status, self._clean(job, first_line(e)))
        finally:
            WATCH.reset(token)
            job.models = list(obs.models)
        if job.cancel:
            return self._end(job, "cancelled", 409, "cancelled")
        if rc:                              # the batch reported a failed file (click returns report's exit code)
            failed = getattr(obs.result, "failed", None)
            msg = failed[0][1] if failed else f"the command failed (exit status {rc})"
            return self._end(job, "failed", 422, self._clean(job, msg))
        notes = getattr(obs.result, "notes", None)
        job.note = next(iter(notes), None) if notes else None
        try:
            job.result = self._collect(job)
            if job.task == "encode":
                job.info = codec_info(job.inputs[0], job.result)
        except Exception as e:  # noqa: BLE001
            return self._end(job, "failed", 500, self._clean(job, first_line(e)))
        self._end(job, "done", 200)

    @staticmethod
    def _clean(job: Job, msg: str) -> str:
        """A message with the server's paths replaced by the upload's name."""
        for p in job.inputs:
            msg = msg.replace(str(p), job.name)
        return msg.replace(str(job.folder), "…")

    @staticmethod
    def _collect(job: Job) -> Path:
        """The output file, or a zip of them when the command wrote several (dereflect --layer)."""
        files = sorted(p for p in (job.folder / "out").rglob("*") if p.is_file())
        if not files:
            raise RuntimeError("the command wrote no output")
        if len(files) == 1:
            return files[0]
        dst = job.folder / "result.zip"
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as z:
            for f in files:
                z.write(f, output_name(job, f).rsplit("/", 1)[-1])
        return dst


def output_name(job: Job, out: Path) -> str:
    """The name an output is offered under: the upload's name (and folder) with what the command added to the
    input's stem (``_x2``, ``_denoised``, …) and the output's extension; a zip of several is ``NAME_TASK.zip``."""
    stem = job.name.rsplit(".", 1)[0] if "." in job.name.rsplit("/", 1)[-1] else job.name
    if out.suffix == ".zip":
        return f"{stem}_{job.task}.zip"
    tail = out.stem[3:] if out.stem[:3].isdigit() else ""
    return f"{stem}{tail}{out.suffix}"


def codec_info(src: Path, rst: Path) -> dict:
    """File size, bits per pixel and RGB PSNR of a coded file against its input (decoded here once)."""
    from restore.api import codec_for
    from restore.io import read_image
    from restore.metrics import bpp, psnr

    data = rst.read_bytes()
    ref = read_image(src)
    dec = codec_for(data).decode(data)
    h, w = ref.pixels.shape[-2:]
    return {"bytes": len(data), "bpp": round(bpp(len(data), h, w), 4),
            "psnr": round(psnr(dec.pixels[:3].float() * 255, ref.pixels[:3].float() * 255), 3)}
