"""``restore models``: the shipped weights as a table; ``--verbose`` adds every metric and the retired models."""
from __future__ import annotations

import json
from pathlib import Path

import click

from restore.cli import cli

# The one metric a task's row shows: (manifest metric key, label); the first present wins.
HEADLINE = {
    "sr": [("Set5_x4_psnr_y", "Set5 ×4 PSNR-Y {} dB")],
    "denoise": [("PolyU_blind_psnr", "PolyU (real camera noise) PSNR {} dB"),
                ("CBSD68_s25_psnr", "CBSD68 σ25 PSNR {} dB")],
    "dejpeg": [("live1-color_q20_gain", "LIVE1 colour q20 {:+} dB over the JPEG")],
    "demosaic": [("Kodak24_clean_cpsnr", "Kodak24 CPSNR {} dB")],
    "codec": [("kodak24_bd_rate_vs_webp", "Kodak24 BD-rate vs WebP {} %")],
    "weather": [("kodak24_rain_ours_psnr", "Kodak24 rain PSNR {} dB")],
    "dereflect": [("kodak24_reflection_ours_psnr", "Kodak24 PSNR {} dB")],
    "burst": [("kodak24_8_frames_sigma_25_ours_psnr", "Kodak24 8 frames σ25 PSNR {} dB")],
}


def headline(e) -> str:
    """The row's metric: the task's benchmark number, else the first validation number (marked so)."""
    for key, label in HEADLINE.get(e.task, []):
        if key in e.metrics:
            return label.format(e.metrics[key])
    val = e.training.get("validation", {})
    if val:
        key, value = next(iter(val.items()))
        return f"{key} {value} (validation)"
    return "-"


def span(e) -> str:
    """Scales an SR model serves, or the qualities of a codec."""
    if e.task == "codec":
        return f"q0–{len(e.kwargs.get('lambdas', [])) - 1}"
    if e.task == "sr-any":
        return "×1–4"
    return "×" + ",".join(map(str, e.scales)) if e.scales and e.scales != [1] else "-"


def rows_of(entries) -> list[list[str]]:
    return [[e.id, e.task, span(e), f"{e.training.get('params', 0) / 1e6:.2f}M", headline(e),
             ", ".join(e.aliases) or "-"] for e in entries]


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


def tasks_table(man) -> str:
    """One row per registered task: its default alias and the model that alias picks today."""
    from restore.tasks.spec import task_specs

    rows = []
    for name, spec in sorted(task_specs().items()):
        try:
            installed = man.resolve(spec.default)[0].id
        except KeyError:
            installed = "none installed"
        rows.append([name, spec.what, f"{spec.default} → {installed}", f"restore {spec.train}",
                     ", ".join(spec.needs) or "-"])
    return format_table(["task", "what", "default", "trained by", "uses"], rows)


@cli.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest entries as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Every measured metric of each model, and the retired models.")
@click.option("--tasks", is_flag=True, help="List the tasks instead: default model, training command, what it needs.")
@click.option("--inspect", "inspect_path", type=click.Path(path_type=Path), default=None,
              help="Say what a community model file (.pth/.safetensors) holds, as spandrel detects it; runs nothing "
                   "from the file.")
def models_command(as_json: bool, verbose: bool, tasks: bool, inspect_path: Path | None) -> None:
    """List the shipped models: one line each (default for = the names that pick it)."""
    from restore.weights import Manifest

    if inspect_path is not None:
        from restore.external import inspect_file

        info = inspect_file(inspect_path)
        if as_json:
            click.echo(json.dumps(info, indent=2))
        else:
            width = max(map(len, info))
            for k, v in info.items():
                click.echo(f"{k:<{width}}  {v}")
        return
    if tasks:
        click.echo(tasks_table(Manifest()))
        return
    man = Manifest()
    entries = sorted(man.entries, key=lambda e: (e.task, e.id))
    if as_json:
        click.echo(json.dumps([vars(e) for e in entries], indent=2))
        return
    if not entries:
        click.echo("no models shipped")
        return
    click.echo(format_table(["id", "task", "scale/quality", "params", "headline metric", "default for"],
                            rows_of(entries)))
    if not verbose:
        return
    for e in entries:
        click.echo(f"\n{e.id} ({e.storage} weights, sha256 {e.sha256[:16]}, {e.training.get('steps', '?')} steps)")
        for k, v in sorted(e.metrics.items()):
            click.echo(f"    {k}: {v}")
    if man.retired:
        click.echo("\nretired (no longer shipped; their weights stay in git history):")
        for e in man.retired:
            click.echo(f"  {e.id}  weights {e.sha256[:16]}  git show {e.commit[:12]}:weights/{e.file}")
