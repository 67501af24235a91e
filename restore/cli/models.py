"""``restore models``: the shipped weights and their measured metrics."""
from __future__ import annotations

import json

import click

from restore.cli import cli


@cli.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest entries as JSON.")
def models_command(as_json: bool) -> None:
    """List the shipped models with their metrics."""
    from restore.api import list_models

    entries = list_models()
    if as_json:
        click.echo(json.dumps([vars(e) for e in entries], indent=2))
        return
    if not entries:
        click.echo("no models shipped")
        return
    for e in entries:
        click.echo(f"{e.id}  task={e.task}  aliases={','.join(e.aliases) or '-'}  "
                   f"params={e.training.get('params', '?')}")
        for k, v in sorted(e.metrics.items()):
            click.echo(f"    {k}: {v}")
