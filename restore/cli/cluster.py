"""Running a batch on a dask.distributed cluster: a local one (``--workers N``) or a scheduler's (``--scheduler``).

Each worker process loads the model once (``restore.load`` caches it) and writes its outputs itself,
atomically, so the inputs and outputs must be on storage every worker sees. The client keeps a bounded
number of files in flight (millions of files never sit in the scheduler at once) and records each finished
file in the batch's :class:`~restore.cli.ledger.Ledger` as it completes. dask re-runs the files of a worker
that dies on the others; a file that keeps killing workers is reported as failed.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional

__all__ = ["run_on_cluster"]

IN_FLIGHT_PER_WORKER = 4


def _client(workers: int, scheduler: Optional[str]):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError("--workers/--scheduler need dask.distributed: pip install 'restore[cluster]'") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as e:
            raise RuntimeError(f"cannot reach the dask scheduler at {scheduler}: {e}") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50)
    return Client(cluster), cluster


def run_on_cluster(jobs: Iterable[tuple], work: Callable, workers: int, scheduler: Optional[str],
                   on_done: Callable[..., None]) -> None:
    """Run ``work(*job)`` for every job on the cluster; ``on_done(src, dst, error, note)`` as each one finishes.

    ``work`` returns ``(src, dst, error or None, note or None)``; an exception from the cluster itself (a worker that
    died too often on the file) becomes that file's error.
    """
    client, cluster = _client(workers, scheduler)       # first: it turns a missing dask into a one-line error
    from distributed import as_completed

    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers or 1)
        pending = iter(jobs)
        running = as_completed()
        args_of = {}

        def submit() -> bool:
            job = next(pending, None)
            if job is None:
                return False
            fut = client.submit(work, *job, pure=False)
            args_of[fut.key] = job
            running.add(fut)
            return True

        for _ in range(IN_FLIGHT_PER_WORKER * n_workers):
            if not submit():
                break
        for fut in running:
            job = args_of.pop(fut.key)
            try:
                src, dst, err, note = fut.result()
            except Exception as e:  # noqa: BLE001 - KilledWorker and friends: report, go on
                name = type(e).__name__
                src, dst, note = str(job[0]), str(job[1]), None
                err = f"{job[0]}: the worker processing it died ({name})"
            on_done(src, dst, err, note)
            fut.release()
            submit()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

