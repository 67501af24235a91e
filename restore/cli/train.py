"""``restore train``: train or continue training a task model and record it in the manifest."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import click

from restore.cli import cli
from restore.recipes.config import (BurstRecipe, DejpegRecipe, DemosaicRecipe, DenoiseRecipe, SceneRecipe, SRAnyRecipe,
                                    SRRecipe)
from restore.runtime import resolve_precision, set_threads


def budget_options(default_id: str) -> Callable:
    """--minutes, --total-minutes, --id and --init, shared by every ``train`` command."""
    def wrap(fn: Callable) -> Callable:
        for opt in reversed([
            click.option("--minutes", type=float, default=30.0, show_default=True,
                         help="Wall-clock budget of this run."),
            click.option("--total-minutes", type=float, default=0.0,
                         help="Length of the cosine schedule (default: --minutes); keep it when resuming a "
                              "checkpoint."),
            click.option("--id", "model_id", default=default_id, show_default=True, help="Manifest id to write."),
            click.option("--init", default=None, help="Start from this manifest model's weights (continue training)."),
        ]):
            fn = opt(fn)
        return fn
    return wrap


def data_options(fn: Callable) -> Callable:
    """--data, --weights-dir and --threads, shared by every ``train`` command."""
    for opt in reversed([
        click.option("--data", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Training folders (default: ../shared/data/train/*)."),
        click.option("--weights-dir", type=click.Path(file_okay=False, path_type=Path), default=None),
        click.option("--threads", type=int, default=0),
    ]):
        fn = opt(fn)
    return fn


def run_options(fn: Callable) -> Callable:
    """--precision and --ckpt, and :func:`data_options`: shared by every ``train`` command that trains."""
    fn = data_options(fn)
    for opt in reversed([
        click.option("--precision", type=click.Choice(["auto", "bf16", "fp32"]), default="auto", show_default=True,
                     help="auto: bf16 autocast where the CPU has native bf16 (AVX512-BF16/AMX), else fp32."),
        click.option("--ckpt", type=click.Path(path_type=Path), default=None,
                     help="Resumable checkpoint file (default: runs/<id>.pt)."),
    ]):
        fn = opt(fn)
    return fn


def recipe_options(recipe_cls: type) -> Callable:
    """One option per field of a recipe dataclass (restore.recipes.config), with its default and help: the command
    line and ``recipe_cls()`` cannot disagree. Tuples are comma-separated; ``cli=False`` fields are left out."""
    import dataclasses

    def option(f: dataclasses.Field) -> Callable:
        meta, default = f.metadata, f.default
        decls = (meta.get("flag") or "--" + f.name.replace("_", "-"), f.name)
        if meta.get("choices"):
            kind = type(default)
            return click.option(*decls, type=click.Choice([str(c) for c in meta["choices"]]), default=str(default),
                                show_default=True, help=meta["help"], callback=lambda c, p, v: kind(v))
        if isinstance(default, tuple):
            kind = type(default[0])
            return click.option(*decls, default=",".join(map(str, default)), show_default=True, help=meta["help"],
                                callback=lambda c, p, v: _items(v, kind, p.opts[0]))
        return click.option(*decls, type=type(default), default=default, show_default=True, help=meta["help"])

    def wrap(fn: Callable) -> Callable:
        for f in reversed(dataclasses.fields(recipe_cls)):
            if f.metadata.get("cli", True):
                fn = option(f)(fn)
        return fn
    return wrap


def _items(text: str, kind: type, flag: str) -> tuple:
    try:
        return tuple(kind(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of {kind.__name__}", param_hint=flag) \
            from None


table_images_option = click.option(
    "--table-images", type=int, default=160, show_default=True,
    help="Fit the Gaussian entropy-coding tables to the latent symbols of this many training images at every "
         "quality (0: plain quantised Gaussians).")


def _start(data: tuple, weights_dir, init: str | None):
    """(training folders, weights folder, prior manifest entry or None, its network in training mode or None)."""
    from restore.recipes.data import default_train_dirs
    from restore.weights import Manifest, build_model, weights_dir as default_weights_dir

    dirs = list(data) or default_train_dirs()
    if not dirs:
        raise click.UsageError("no training data: pass --data or put it in ../shared/data/train/")
    root = weights_dir or default_weights_dir()
    prior = net = None
    if init:
        prior, _ = Manifest(root).resolve(init)
        net = build_model(prior, root).train()
        for p in net.parameters():
            p.requires_grad_(True)
    return dirs, root, prior, net


def _finish(entry, root) -> None:
    click.echo(f"wrote {entry.path(root)} ({entry.training.get('steps', 0)} steps, "
               f"{entry.training.get('cpu_minutes', 0):.1f} min in total)", err=True)


def _fit_and_export(train_fn: Callable, recipe, *, task: str, model_id: str, minutes: float, total_minutes: float,
                    lr: float, precision: str, threads: int, ckpt, dirs, root, prior, net, aliases: list,
                    scales: list = (), recipe_extra: dict | None = None, warmup_steps: int = 200,
                    finalize: Callable | None = None, notes: str | None = None) -> None:
    """Train with ``train_fn(recipe, cfg, dirs, ckpt=…, init=net)``, optionally ``finalize(model)``, then write
    the weights and the manifest entry (recording the recipe, precision and learning rate, and what ``finalize``
    returns)."""
    from restore.recipes.export import export_model
    from restore.recipes.loop import TrainConfig
    from restore.tasks.spec import task_spec

    precision = resolve_precision(precision)
    cfg = TrainConfig(minutes=minutes, total_minutes=total_minutes, lr=lr, bf16=precision == "bf16",
                      warmup_steps=warmup_steps, threads=threads, log=lambda s: click.echo(s, err=True))
    model, trainer, facts = train_fn(recipe, cfg, dirs, ckpt=ckpt or Path("runs") / f"{model_id}.pt", init=net)
    extra = finalize(model) if finalize is not None else None
    entry = export_model(model, trainer, facts, model_id=model_id, task=task, root=root, prior=prior,
                         scales=list(scales), aliases=aliases,
                         recipe=vars(recipe) | {"precision": precision, "lr": lr} | (recipe_extra or {})
                         | (extra or {}), notes=task_spec(task).limits if notes is None else notes)
    _finish(entry, root)


@cli.group("train")
def train_group() -> None:
    """Train models on ../shared/data/train (never on benchmark sets)."""


@train_group.command("sr")
@budget_options("srnet-sr-s")
@recipe_options(SRRecipe)
@run_options
def train_sr_command(minutes, total_minutes, model_id, init, precision, data, ckpt, weights_dir, threads,
                     **fields) -> None:
    """Train the multi-scale SR model; writes weights/<id>.safetensors and its manifest entry."""
    from restore.recipes.sr import train_sr
    from restore.tasks.sr import REAL_SR_LIMITS

    recipe = SRRecipe(**fields | {"scales": tuple(sorted(fields["scales"]))})
    real = recipe.degradation == "real"
    if real and model_id == "srnet-sr-s":
        model_id = "srnet-sr-real-s"
    dirs, root, prior, net = _start(data, weights_dir, init)
    extra = _warm_start_note(prior) if prior is not None and prior.id != model_id else {}
    _fit_and_export(train_sr, recipe, task="sr", model_id=model_id, minutes=minutes, total_minutes=total_minutes,
                    lr=recipe.lr, precision=precision, threads=threads, ckpt=ckpt, dirs=dirs, root=root,
                    prior=prior, net=net, scales=recipe.scales, recipe_extra=extra,
                    aliases=[f"sr-{'real-' if real else ''}x{s}" for s in recipe.scales],
                    notes=REAL_SR_LIMITS if real else None)


@train_group.command("sr-any")
@budget_options("sranynet-sr-s")
@click.option("--from-sr", default=None,
              help="Warm start: copy the stem and body of this fixed-scale SR model (same --body/--channels/--blocks).")
@recipe_options(SRAnyRecipe)
@run_options
def train_sr_any_command(minutes, total_minutes, model_id, init, from_sr, precision, data, ckpt, weights_dir,
                         threads, **fields) -> None:
    """Train the arbitrary-scale SR model (×1-×4, any aspect); writes weights/<id>.safetensors."""
    from restore.archs.sranynet import SRAnyNet
    from restore.recipes.sr_any import train_sr_any, warm_start

    dirs, root, prior, net = _start(data, weights_dir, init)
    if prior is not None:
        fields |= _prior_body(prior) | {"hidden": prior.kwargs["hidden"]}
    recipe = SRAnyRecipe(**fields)
    notes = {}
    if from_sr is not None:
        net, notes = _warm_start(root, from_sr, "--from-sr", net, "stem and body of ",
                                 lambda source: warm_start(SRAnyNet(**recipe.model_kwargs()), source))
    _fit_and_export(train_sr_any, recipe, task="sr-any", model_id=model_id, minutes=minutes,
                    total_minutes=total_minutes, lr=recipe.lr, precision=precision, threads=threads, ckpt=ckpt,
                    dirs=dirs, root=root, prior=prior, net=net, aliases=["sr-any"], recipe_extra=notes)


@train_group.command("codec")
@budget_options("codec-hp-lf4")
@click.option("--lambda", "lambdas", default=None,
              help="Comma-separated RD weights, one per quality level (default: the 8-level ladder). With "
                   "--init: as many values as the model has levels re-target them; its ladder with values added "
                   "below or above adds levels (qualities 0, -1, … below 1).")
@click.option("--transform", default="gdn", show_default=True)
@click.option("--channels", type=int, default=None,
              help="Hidden channels of the transforms [default: 96]. With --init, a larger value widens them.")
@click.option("--latent", type=int, default=None,
              help="Latent channels [default: 128]. With --init, a larger value widens the prior model's latent.")
@click.option("--res-blocks", type=int, default=None,
              help="Residual blocks in each transform [default: 0]. With --init, adds them to a model without any.")
@click.option("--fine-blocks", type=int, default=None,
              help="Residual blocks at 1/4 resolution in each transform [default: 0]. With --init, adds them to a "
                   "model without any.")
@click.option("--batch", type=int, default=8, show_default=True)
@click.option("--patch", type=int, default=128, show_default=True, help="Crop side (a multiple of 64).")
@click.option("--lr", type=float, default=6e-4, show_default=True)
@click.option("--level-weights", default=None,
              help="Comma-separated relative frequencies with which training draws each quality level, lowest "
                   "first [default: all equal].")
@click.option("--balance-levels", is_flag=True,
              help="Weight each quality level's loss by its running mean so every level counts equally.")
@table_images_option
@run_options
def train_codec_command(minutes, total_minutes, model_id, init, lambdas, transform, channels, latent, res_blocks,
                        fine_blocks, batch, patch, lr, level_weights, balance_levels, table_images, precision, data,
                        ckpt, weights_dir, threads) -> None:
    """Train the variable-rate codec; bakes its CDF tables and writes weights/<id>.safetensors."""
    from restore.codecs.model import LAMBDAS
    from restore.recipes.codec import CodecRecipe, fit_tables, level_sampler, table_crops, train_codec

    if patch % 64:
        raise click.UsageError("--patch must be a multiple of 64")
    lam = _numbers(lambdas, "--lambda") or LAMBDAS
    weights = _numbers(level_weights, "--level-weights") or ()
    dirs, root, prior, net = _start(data, weights_dir, init)
    widened: dict[str, str] = {}
    if net is not None:
        from restore.codecs.grow import grow_to

        try:
            net, note = grow_to(net, latent=latent, channels=channels, res_blocks=res_blocks,
                                fine_blocks=fine_blocks, lambdas=lam if lambdas else None)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        if note:
            widened["widened"] = f"{note} after {prior.training.get('steps', 0)} steps of {prior.id}"
        lam = net.lambdas
        prior.kwargs = dict(net.arch_spec[1])
    latent = latent or 128
    channels = channels or 96
    arch = {"transform": transform, "channels": channels, "latent": latent, "hyper_channels": channels,
            "slices": (latent // 8, latent // 8, latent // 4, latent // 2), "res_blocks": res_blocks or 0,
            "fine_blocks": fine_blocks or 0}
    if prior is not None:      # the architecture is the prior's
        arch = {k: prior.kwargs.get(k, 0) for k in (*arch, "z_channels")}
        arch["slices"] = tuple(arch["slices"])
        arch["first_quality"] = prior.kwargs.get("first_quality", 1)
    try:
        level_sampler(len(lam), weights)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    recipe = CodecRecipe(**arch, lambdas=lam, batch=batch, patch=patch, balance_levels=balance_levels,
                         level_weights=weights)
    _fit_and_export(train_codec, recipe, task="codec", model_id=model_id, minutes=minutes,
                    total_minutes=total_minutes, lr=lr, precision=precision, threads=threads, ckpt=ckpt, dirs=dirs,
                    root=root, prior=prior, net=net, aliases=["codec"], recipe_extra=widened,
                    warmup_steps=500, finalize=lambda m: fit_tables(m, table_crops(dirs, table_images))
                    if table_images else m.eval().bake())


@train_group.command("codec-tables")
@click.option("--init", default="codec", show_default=True, help="The trained codec whose tables to fit.")
@click.option("--id", "model_id", required=True, help="Manifest id to write (the same network, new tables).")
@table_images_option
@data_options
def train_codec_tables_command(init, model_id, table_images, data, weights_dir, threads) -> None:
    """Fit a trained codec's entropy-coding tables to its symbols on training images, without training steps;
    writes weights/<id>.safetensors (the same network, so the same pixels; smaller files)."""
    import copy

    from restore.recipes.codec import fit_tables, table_crops
    from restore.weights import Manifest, save_state

    if table_images <= 0:
        raise click.UsageError("--table-images must be positive")
    set_threads(threads)
    dirs, root, prior, net = _start(data, weights_dir, init)
    if prior.task != "codec":
        raise click.UsageError(f"{prior.id} is not a codec")
    fitted = fit_tables(net, table_crops(dirs, table_images))
    entry = copy.deepcopy(prior)
    entry.id, entry.file, entry.metrics = model_id, f"{model_id}.safetensors", {}
    entry.sha256 = save_state(net, root / entry.file)
    entry.training["recipe"] = {**entry.training.get("recipe", {}), **fitted, "tables_from": prior.id}
    Manifest(root).upsert(entry)
    _finish(entry, root)


def _numbers(text: str | None, option: str) -> tuple[float, ...] | None:
    """A comma-separated option value as floats (None when the option is not given)."""
    if not text:
        return None
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError:
        raise click.UsageError(f"{option} must be comma-separated numbers, not {text!r}") from None


def _warm_start(root, source_id: str, flag: str, init_net, what: str, build: Callable) -> tuple:
    """(a new network built by ``build(source network)`` in training mode, the record's ``warm_start`` note) for
    ``--from-… source_id``; a usage error when combined with --init or when the shapes do not fit."""
    from restore.weights import Manifest, build_model

    if init_net is not None:
        raise click.UsageError(f"{flag} starts a new model; it cannot be combined with --init")
    entry, _ = Manifest(root).resolve(source_id)
    try:
        net = build(build_model(entry, root)).train()
    except (ValueError, KeyError, RuntimeError) as exc:
        raise click.UsageError(f"{flag} {source_id}: {str(exc).splitlines()[0][:120]}") from None
    return net, _warm_start_note(entry, what)


def _warm_start_note(entry, what: str = "") -> dict:
    """The recipe record of a run that started from another model's weights (``what``: which part of them)."""
    return {"warm_start": f"{what}{entry.id} ({entry.training.get('steps', 0)} steps)"}


def _prior_body(prior) -> dict:
    """The body fields of a recipe as the model being continued (--init) has them."""
    kw = prior.kwargs
    return {"body": kw["body"], "channels": kw["body_kwargs"]["channels"], "blocks": kw["body_kwargs"]["blocks"]}


def _train_task(kind: str, fields: dict, *, minutes: float, total_minutes: float, model_id: str, init: str | None,
                precision: str, data: tuple, ckpt, weights_dir, threads: int, aliases: Callable[[object], list],
                from_prior: tuple[str, ...] = (), scales: Callable[[object], list] = lambda r: [],
                notes: Callable[[object], str | None] = lambda r: None) -> None:
    """Train one of the backbone tasks (its recipe and trainer named by the task registry; ``fields`` the recipe's
    options) and export it as a ``kind`` model; with --init the architecture (body size and the ``from_prior``
    fields) is the prior model's."""
    from restore.tasks.spec import task_spec

    if fields["patch"] % 2:
        raise click.UsageError("--patch must be even")
    spec = task_spec(kind)
    recipe_cls, train_fn = spec.resolve("recipe"), spec.resolve("trainer")
    dirs, root, prior, net = _start(data, weights_dir, init)
    if prior is not None:
        fields = fields | _prior_body(prior) | {k: prior.kwargs[k] for k in from_prior}
    recipe = recipe_cls(**fields)
    extra = _warm_start_note(prior) if prior is not None and prior.id != model_id else {}
    _fit_and_export(train_fn, recipe, task=kind, model_id=model_id, minutes=minutes, total_minutes=total_minutes,
                    lr=recipe.lr, precision=precision, threads=threads, ckpt=ckpt, dirs=dirs, root=root, prior=prior,
                    net=net, scales=scales(recipe), aliases=aliases(recipe), recipe_extra=extra,
                    notes=notes(recipe))


@train_group.command("denoise")
@budget_options("denoisenet-denoise-s")
@recipe_options(DenoiseRecipe)
@run_options
def train_denoise_command(**options) -> None:
    """Train the blind/non-blind colour denoiser; writes weights/<id>.safetensors and its manifest entry."""
    from restore.tasks.denoise import CAMERA_NOISE_LIMITS

    fields, run = _split(options, DenoiseRecipe)
    real = fields["camera"] == "isp" and fields["camera_fraction"] > 0
    if real and run["model_id"] == "denoisenet-denoise-s":
        run["model_id"] = "denoisenet-denoise-real-s"
    _train_task("denoise", fields, **run, aliases=lambda r: ["denoise-real" if real else "denoise"],
                notes=lambda r: CAMERA_NOISE_LIMITS if real else None)


@train_group.command("dejpeg")
@budget_options("dejpegnet-dejpeg-s")
@click.option("--from-denoise", default=None,
              help="Warm start from this denoising model's weights (same --body/--channels/--blocks).")
@recipe_options(DejpegRecipe)
@run_options
def train_dejpeg_command(minutes, total_minutes, model_id, init, from_denoise, precision, data, ckpt, weights_dir,
                         threads, **fields) -> None:
    """Train the JPEG-artefact remover on real JPEG saves of training crops; writes weights/<id>.safetensors."""
    from restore.archs.dejpegnet import DejpegNet
    from restore.recipes.dejpeg import train_dejpeg, warm_start

    if fields["patch"] % 16:
        raise click.UsageError("--patch must be a multiple of 16")
    dirs, root, prior, net = _start(data, weights_dir, init)
    if prior is not None:
        fields |= _prior_body(prior) | {"estimator_channels": prior.kwargs["estimator_channels"]}
    recipe = DejpegRecipe(**fields)
    notes = {}
    if from_denoise is not None:
        net, notes = _warm_start(root, from_denoise, "--from-denoise", net, "",
                                 lambda source: warm_start(DejpegNet(**recipe.model_kwargs()), source))
    _fit_and_export(train_dejpeg, recipe, task="dejpeg", model_id=model_id, minutes=minutes,
                    total_minutes=total_minutes, lr=recipe.lr, precision=precision, threads=threads, ckpt=ckpt,
                    dirs=dirs, root=root, prior=prior, net=net, aliases=["dejpeg"], recipe_extra=notes)


@train_group.command("demosaic")
@budget_options("demosaicnet-demosaic-s")
@recipe_options(DemosaicRecipe)
@run_options
def train_demosaic_command(**options) -> None:
    """Train the demosaicer (clean, masked and noisy mosaics); writes weights/<id>.safetensors."""
    fields, run = _split(options, DemosaicRecipe)
    _train_task("demosaic", fields, **run, aliases=lambda r: ["demosaic"])


def _scene_command(task: str, default_id: str) -> None:
    @budget_options(default_id)
    @recipe_options(SceneRecipe)
    @run_options
    def command(**options) -> None:
        fields, run = _split(options, SceneRecipe)
        _train_task(task, fields | {"task": task}, **run, aliases=lambda r: [task])

    train_group.command(task, help=f"Train the {task} model on synthetic pairs; writes weights/<id>.safetensors.")(
        command)


_scene_command("weather", "globalnet-weather-s")
_scene_command("dereflect", "globalnet-dereflect-s")


@train_group.command("burst")
@budget_options("burstnet-burst-s")
@recipe_options(BurstRecipe)
@run_options
def train_burst_command(**options) -> None:
    """Train burst fusion (×1, ×2 or ×4 output); writes weights/<id>.safetensors."""
    fields, run = _split(options, BurstRecipe)
    if run["model_id"] == "burstnet-burst-s" and fields["scale"] != 1:
        run["model_id"] = f"burstnet-burst-x{fields['scale']}-s"
    _train_task("burst", fields, **run, aliases=lambda r: [f"burst-x{r.scale}"], scales=lambda r: [r.scale],
                from_prior=("scale",))


def _split(options: dict, recipe_cls: type) -> tuple[dict, dict]:
    """A command's options as (the recipe's fields, the rest: budget and run options)."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(recipe_cls)}
    return {k: v for k, v in options.items() if k in names}, {k: v for k, v in options.items() if k not in names}
