"""``restore train``: train or continue training a task model and record it in the manifest."""
from __future__ import annotations

from pathlib import Path

import click

from restore.cli import cli


SR_LIMITS = ("Trained on clean photos downscaled with MATLAB bicubic: it restores detail lost to that "
             "downscaling, and does not remove JPEG artefacts, sensor noise or blur, which it may sharpen. "
             "Small (CPU-trained) model: expect results between classic lightweight CNNs and large transformers.")


@cli.group("train")
def train_group() -> None:
    """Train models on ../shared/data/train (never on benchmark sets)."""


@train_group.command("sr")
@click.option("--scale", "scales", default="2,3,4", show_default=True,
              help="Scale(s) trained into one shared-body model, comma separated.")
@click.option("--minutes", type=float, default=30.0, show_default=True, help="Wall-clock budget of this run.")
@click.option("--total-minutes", type=float, default=0.0,
              help="Length of the cosine schedule (default: --minutes); keep it when resuming a checkpoint.")
@click.option("--id", "model_id", default="srnet-sr-m", show_default=True, help="Manifest id to write.")
@click.option("--init", default=None, help="Start from this manifest model's weights (continue training).")
@click.option("--body", default="res", show_default=True)
@click.option("--channels", type=int, default=48, show_default=True)
@click.option("--blocks", type=int, default=8, show_default=True)
@click.option("--batch", type=int, default=16, show_default=True)
@click.option("--patch", type=int, default=48, show_default=True, help="LR patch size.")
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--precision", type=click.Choice(["bf16", "fp32"]), default="bf16", show_default=True)
@click.option("--data", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Training folders (default: ../shared/data/train/*).")
@click.option("--ckpt", type=click.Path(path_type=Path), default=None,
              help="Resumable checkpoint file (default: runs/<id>.pt).")
@click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--threads", type=int, default=0)
def train_sr_command(scales, minutes, total_minutes, model_id, init, body, channels, blocks, batch, patch, lr,
                     precision, data, ckpt, weights_dir, threads) -> None:
    """Train the multi-scale SR model; writes weights/<id>.safetensors and its manifest entry."""
    from restore.train.data import default_train_dirs
    from restore.train.export import export_model
    from restore.train.loop import TrainConfig
    from restore.train.sr import SRRecipe, train_sr
    from restore.weights import WEIGHTS_DIR, Manifest, build_model

    scale_t = tuple(sorted(int(s) for s in scales.split(",")))
    dirs = list(data) or default_train_dirs()
    if not dirs:
        raise click.UsageError("no training data: pass --data or put it in ../shared/data/train/")
    root = weights_dir or WEIGHTS_DIR
    prior = None
    net = None
    if init:
        prior, _ = Manifest(root).resolve(init)
        net = build_model(prior, root)
        net.train()
        for p in net.parameters():
            p.requires_grad_(True)
    recipe = SRRecipe(body=body, channels=channels, blocks=blocks, scales=scale_t, batch=batch, lr_patch=patch)
    cfg = TrainConfig(minutes=minutes, total_minutes=total_minutes, lr=lr, bf16=precision == "bf16",
                      threads=threads, log=lambda s: click.echo(s, err=True))
    ckpt = ckpt or Path("runs") / f"{model_id}.pt"
    model, trainer, facts = train_sr(recipe, cfg, dirs, ckpt=ckpt, init=net)
    entry = export_model(model, trainer, facts, model_id=model_id, task="sr", root=root, prior=prior,
                         scales=list(scale_t), aliases=[f"sr-x{s}" for s in scale_t],
                         recipe=vars(recipe) | {"precision": precision, "lr": lr}, notes=SR_LIMITS)
    click.echo(f"wrote {entry.path(root)} ({entry.training['steps']} steps, "
               f"{entry.training['cpu_minutes']:.1f} min in total)", err=True)
