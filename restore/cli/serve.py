"""``restore serve``: the local web page and HTTP API (the ``serve`` extra: FastAPI and uvicorn)."""
from __future__ import annotations

import os
from pathlib import Path

import click

from restore.cli import cli
from restore.cli.batch import OneLineUsageError


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs a token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0: any free one).")
@click.option("--token", default=None, envvar="RESTORE_TOKEN",
              help="Every request must carry it (the page gets it once from the printed address). "
                   "Default: $RESTORE_TOKEN.")
@click.option("--max-upload-mb", type=click.FloatRange(0.001), default=200.0, show_default=True,
              help="Largest request body; above it a request gets 413.")
@click.option("--max-pixels", type=click.FloatRange(1), default=100.0, show_default=True,
              help="Largest input image in megapixels; above it a request gets 413.")
@click.option("--ttl", type=click.FloatRange(1), default=30.0, show_default=True,
              help="Minutes a finished job's result is kept when nobody fetches or deletes it.")
@click.option("--model-dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Also offer the community model files (.pth, .safetensors) in this folder, by file name.")
@click.option("--threads", type=click.IntRange(1, 256), default=None, help="CPU threads (default: all).")
def serve_command(host, port, token, max_upload_mb, max_pixels, ttl, model_dir, threads) -> None:
    """Serve the page and the HTTP API on this machine (Ctrl-C stops it and deletes every upload)."""
    try:
        import fastapi  # noqa: F401 - the extra's three packages, named in the message when one is missing
        import multipart  # noqa: F401
        import uvicorn
    except ImportError as e:
        raise OneLineUsageError(f"restore serve needs the serve extra ({e.name} is missing): "
                               f"pip install 'restore[serve]'") from None
    from restore.serve.app import LOOPBACK, Settings, create_app

    if host not in LOOPBACK and not token:
        raise OneLineUsageError(f"--host {host} is reachable from other machines: give --token T (or set "
                               f"RESTORE_TOKEN) so that only those who have it can use the server")
    _check_port(host, port)
    from restore.runtime import set_threads

    set_threads(threads)
    settings = Settings(host=host, port=port, token=token, max_upload_mb=max_upload_mb,
                        max_pixels=max_pixels * 1e6, ttl_s=ttl * 60, temp_root=_temp_root(), model_dir=model_dir)
    config = uvicorn.Config(create_app(settings, cli.commands), host=host, port=port, log_level="warning",
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    _announce(server, host, token)
    try:
        server.run()            # Ctrl-C: uvicorn stops, the jobs end, the private folder goes, then this
    except KeyboardInterrupt:
        pass
    click.echo("restore serve: stopped", err=True)


def _check_port(host: str, port: int) -> None:
    """A one-line error now, rather than uvicorn's log line later, when the address cannot be bound."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise OneLineUsageError(f"cannot listen on {host}:{port}: {e.strerror or e} (choose another --port, or "
                                    f"0 for any free one)") from None


def _temp_root() -> Path | None:
    return Path(os.environ["RESTORE_SERVE_TMP"]) if os.environ.get("RESTORE_SERVE_TMP") else None


def _announce(server, host: str, token: str | None) -> None:
    """Print the address once the socket listens (port 0 gets its real number)."""
    startup = server.startup

    async def started(*args, **kwargs):
        await startup(*args, **kwargs)
        port = next((s.getsockname()[1] for srv in server.servers for s in srv.sockets), server.config.port)
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
        click.echo(f"restore serve: open {url}  (Ctrl-C stops it)", err=True)

    server.startup = started
