"""Every registered task: its declared radius is honest (tiles equal one tile), bf16 stays close where the
network says it is safe, images keep their form, bad input is a one-line error, and it ships, trains and
builds through the registry. Replaces the per-task copies of these checks."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import click
import numpy as np
import pytest
import torch

from nets import BODY_VARIANTS, NOT_TILED, TASK_CASES, build, task_model
from restore.io import Image
from restore.tasks.spec import task_specs

TILED = sorted(t for t in TASK_CASES if t not in NOT_TILED)
IMAGE_TASKS = ["sr", "sr-any", "denoise", "weather", "dereflect"]       # one colour image in, one out


def run(task: str, model, img: Image, tile) -> Image:
    """One call of the task on ``img`` (a burst of four noisy copies; a mosaic for demosaicing)."""
    if task == "burst":
        gen = torch.Generator().manual_seed(5)
        frames = [img.with_pixels((img.pixels + 0.03 * torch.randn(img.pixels.shape, generator=gen)).clamp(0, 1))
                  for _ in range(4)]
        return model(frames, tile=tile)
    if task == "sr-any":
        return model(img, scale=2.5, tile=tile)
    if task == "demosaic":
        return model(Image(img.pixels[:1]), pattern="GRBG", tile=tile)
    return model(img, tile=tile)


def photo(h: int = 46, w: int = 62, seed: int = 0) -> Image:
    """Smooth structure plus texture, so every layer's response matters."""
    gen = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.linspace(0, 3, h), torch.linspace(0, 4, w), indexing="ij")
    base = torch.stack([torch.sin(x + y), torch.cos(2 * x - y), torch.sin(3 * y)]) * 0.3 + 0.5
    return Image((base + 0.1 * torch.rand(3, h, w, generator=gen)).clamp(0, 1))


def test_every_task_has_a_tiny_case():
    assert set(TASK_CASES) | set(NOT_TILED) == set(task_specs())


@pytest.mark.parametrize("task, case", [(t, TASK_CASES[t][0]) for t in TILED] + BODY_VARIANTS)
def test_tiles_at_the_declared_overlap_equal_one_tile(task, case):
    model = task_model(task, net=build(case))
    img = photo()
    whole = run(task, model, img, tile=1024)
    tiled = run(task, model, img, tile=16)
    assert whole.pixels.shape == tiled.pixels.shape
    assert (whole.pixels - tiled.pixels).abs().max().item() < 1e-4
    assert whole.pixels.std().item() > 0.01                      # the network did something


def test_an_understated_radius_is_caught():
    """The contract above can fail: declare the SR network's radius 4 px smaller and tiles disagree."""
    net = build("srnet-res")
    net.descriptor = dataclasses.replace(net.descriptor, radius=net.descriptor.radius - 4)
    model = task_model("sr", net=net)
    img = photo()
    assert (run("sr", model, img, 1024).pixels - run("sr", model, img, 16).pixels).abs().max().item() > 1e-3


@pytest.mark.parametrize("task", TILED)
def test_bf16_stays_close_to_fp32_where_declared_safe(task):
    fp32 = task_model(task, "fp32")
    if not fp32.net.descriptor.bf16_safe:
        pytest.skip("the network declares bf16 unsafe")        # none does today
    bf16 = task_model(task, "bf16")
    img = photo(seed=1)
    a, b = run(task, fp32, img, 1024).pixels, run(task, bf16, img, 1024).pixels
    mse = (a - b).pow(2).mean().item()
    assert 10 * math.log10(1 / max(mse, 1e-12)) > 30


@pytest.mark.parametrize("task", IMAGE_TASKS)
def test_gray_alpha_and_16_bit_keep_their_form(task):
    arr = (np.arange(30 * 34 * 2).reshape(30, 34, 2) * 37 % 65536).astype(np.uint16)     # gray + alpha, 16-bit
    img = Image.from_array(arr)
    out = run(task, task_model(task), img, "auto")
    assert (out.channels, out.bit_depth, out.alpha is not None) == (1, 16, True)
    assert out.alpha.shape[-2:] == out.pixels.shape[-2:]


@pytest.mark.parametrize("task", IMAGE_TASKS)
def test_other_channel_counts_are_a_one_line_error(task):
    with pytest.raises(ValueError, match=r"^expected 1 or 3 colour channels, got 2$"):
        run(task, task_model(task), Image(torch.rand(2, 20, 20)), "auto")


@pytest.mark.parametrize("task", sorted(task_specs()))
def test_task_ships_a_default_trains_and_builds_through_the_registry(task):
    from restore.cli import _register, cli
    from restore.weights import Manifest

    spec = task_specs()[task]
    entry, _ = Manifest().resolve(spec.default)
    assert entry.task == task and spec.what and spec.limits
    assert dataclasses.is_dataclass(spec.resolve("recipe")) and callable(spec.resolve("trainer"))
    _register()
    words = spec.train.split()
    ctx = cli.make_context("restore", words + ["--help"], resilient_parsing=True)
    group = cli.get_command(ctx, words[0])
    assert isinstance(group, click.Group) and group.get_command(ctx, words[1]) is not None
    for need in spec.needs:
        Manifest().resolve(need)
    assert Path(spec.model.build.__code__.co_filename).is_file()
