"""``restore export``: a shipped model's network as an ONNX graph with dynamic size."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from restore.cli import cli


@cli.command("export")
@click.argument("model")
@click.option("--onnx", "onnx_path", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Write the network as ONNX (dynamic batch, height and width) to this file.")
@click.option("-s", "--scale", type=int, default=None, help="SR models: the scale to export (default: the largest).")
@click.option("--sigma", type=float, default=None,
              help="Denoisers: a fixed noise level (8-bit units) instead of the blind estimate.")
def export_command(model: str, onnx_path: Path, scale: Optional[int], sigma: Optional[float]) -> None:
    """Export MODEL (an id or alias from `restore models`) for onnxruntime and other ONNX runtimes.

    The graph takes an N×3×H×W float image in [0, 1] (H, W even for denoisers) and returns the restored
    image (×scale for SR), unclamped; tiling, gray/alpha handling and clamping stay with the caller.
    """
    from restore.api import load
    from restore.onnx_export import OPSET, export_onnx

    m = load(model, scale=scale, precision="fp32")
    options = {"sigma": sigma} if sigma is not None else {}
    worst = export_onnx(m, onnx_path, **options)
    click.echo(f"wrote {onnx_path} ({m.id}, opset {OPSET}); onnxruntime vs PyTorch: max difference {worst:.1e}",
               err=True)
    if worst > 1e-3:
        raise click.ClickException(f"the exported graph differs from the model by {worst:.3g}")
