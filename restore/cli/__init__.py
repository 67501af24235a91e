"""The ``restore`` command: a click group; each command family lives in its own small module."""
from __future__ import annotations

import os
import sys

import click

from restore import __version__

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="restore")
def cli() -> None:
    """Image restoration and learned compression on the CPU."""


def _register() -> None:
    from restore.cli import (burst, codec, dejpeg, demosaic, denoise, export, models, scene, serve,  # noqa: F401
                             sr, train)  # (they add their commands)


def main(argv: list[str] | None = None) -> int:
    """Entry point: one-line errors and a non-zero exit instead of tracebacks (RESTORE_DEBUG=1 shows them)."""
    from restore.deferred import defer_heavy_imports
    from restore.runtime import huge_pages, keep_heap

    huge_pages()                    # before any command imports torch; a user's THP_MEM_ALLOC_ENABLE wins
    defer_heavy_imports()
    _register()
    keep_heap()
    try:
        rc = cli.main(args=argv, prog_name="restore", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as e:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("RESTORE_DEBUG"):
            raise
        from restore.io import first_line

        click.echo(f"error: {first_line(e)}", err=True)
        return 1
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
