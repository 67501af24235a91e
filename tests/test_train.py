"""The training loop: a tiny run learns, checkpoints, resumes, and exports weights + manifest entry."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from restore.cli import main
from restore.recipes.data import find_images, split_train_val
from restore.recipes.loop import TrainConfig, cosine_lr
from restore.weights import Manifest, build_model

from helpers import BENCH, EXAMPLES


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "train"
    d.mkdir()
    src = np.asarray(PILImage.open(EXAMPLES / "coffee.png").convert("RGB"))
    for i in range(6):
        PILImage.fromarray(src[i * 40:i * 40 + 160, i * 50:i * 50 + 200]).save(d / f"img{i}.png")
    return d


def test_split_is_deterministic_and_disjoint(tmp_path):
    paths = [tmp_path / f"{i}.png" for i in range(200)]
    tr, va = split_train_val(paths, 0.1)
    assert set(tr).isdisjoint(va) and len(tr) + len(va) == 200 and 5 < len(va) < 40
    assert split_train_val(paths, 0.1) == (tr, va)


def test_refuses_benchmark_data():
    with pytest.raises(ValueError, match="refusing to train on benchmark data"):
        find_images([BENCH / "Set5"])


def test_cosine_schedule_shape():
    cfg = TrainConfig(lr=1e-3, min_lr=1e-5, warmup_steps=10)
    assert cosine_lr(cfg, 0, 0.0) == pytest.approx(1e-4)
    assert cosine_lr(cfg, 100, 0.0) == pytest.approx(1e-3)
    assert cosine_lr(cfg, 100, 1.0) == pytest.approx(1e-5)
    assert cosine_lr(cfg, 100, 0.5) == pytest.approx(1e-5 + (1e-3 - 1e-5) / 2)


def test_train_cli_exports_then_continues_from_shipped_weights(data_dir, tmp_path, capsys):
    wdir, ckpt = tmp_path / "weights", tmp_path / "run.pt"
    args = ["train", "sr", "--scale", "2", "--minutes", "0.15", "--id", "srnet-sr-test", "--channels", "8",
            "--blocks", "1", "--batch", "4", "--patch", "24", "--data", str(data_dir), "--weights-dir", str(wdir),
            "--ckpt", str(ckpt), "--precision", "fp32"]
    assert main(args) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve("sr-x2")
    assert entry.id == "srnet-sr-test" and entry.scales == [2]
    t1 = entry.training
    assert t1["steps"] > 10 and t1["runs"] == 1 and "val_x2" in t1["validation"]
    assert math.isfinite(t1["validation"]["val_x2"])
    assert ckpt.exists()
    model = build_model(entry, wdir)
    assert sum(p.numel() for p in model.parameters()) == t1["params"]
    # a later session: continue from the shipped weights with a fresh checkpoint
    ckpt.unlink()
    assert main(args + ["--init", "srnet-sr-test"]) == 0
    t2 = Manifest(wdir).resolve("srnet-sr-test")[0].training
    assert t2["runs"] == 2 and t2["steps"] > t1["steps"] and t2["cpu_minutes"] >= t1["cpu_minutes"]
    data = json.loads((wdir / "manifest.json").read_text())
    assert [m["id"] for m in data["models"]] == ["srnet-sr-test"]


def test_trainer_resumes_from_checkpoint(tmp_path):
    from restore.archs.srnet import SRNet
    from restore.recipes.loop import Trainer

    logs = []
    cfg = TrainConfig(minutes=0.02, warmup_steps=1, channels_last=False, log=logs.append)
    net = SRNet("res", {"channels": 4, "blocks": 1}, (2,))
    x, y = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 16, 16)
    step = lambda m, i: (m(x, 2) - y).abs().mean()  # noqa: E731
    t = Trainer(net, cfg, tmp_path / "c.pt")
    t.fit(step, lambda m: {"val": float(step(m, 0))})
    steps = t.step
    t2 = Trainer(SRNet("res", {"channels": 4, "blocks": 1}, (2,)), cfg, tmp_path / "c.pt")
    assert t2.step == steps and any("resumed" in l for l in logs)
    for a, b in zip(t.ema.state_dict().values(), t2.ema.state_dict().values()):
        assert torch.equal(a, b)


def test_real_degradation_training_warm_starts_a_second_model_beside_the_clean_one(data_dir, tmp_path, capsys):
    wdir = tmp_path / "weights"
    base = ["train", "sr", "--scale", "2", "--minutes", "0.05", "--channels", "8", "--blocks", "1", "--batch", "4",
            "--patch", "24", "--data", str(data_dir), "--weights-dir", str(wdir), "--precision", "fp32"]
    assert main(base + ["--ckpt", str(tmp_path / "a.pt")]) == 0, capsys.readouterr().err
    assert main(base + ["--ckpt", str(tmp_path / "b.pt"), "--degradation", "real", "--init", "srnet-sr-s"]) == 0
    man = Manifest(wdir)
    clean, real = man.resolve("sr-x2")[0], man.resolve("sr-real-x2")[0]
    assert (clean.id, real.id) == ("srnet-sr-s", "srnet-sr-real-s")
    v = real.training["validation"]
    assert {"val_x2", "val_jpeg60_x2", "val_real_x2"} <= set(v) and v["val_jpeg60_x2"] < v["val_x2"]
    assert real.training["recipe"]["degradation"] == "real"
    assert real.training["recipe"]["warm_start"].startswith("srnet-sr-s (")
    assert "Real-input model" in real.notes and "Real-input" not in clean.notes
