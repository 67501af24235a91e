"""Whole-scene tasks (weather, reflections): the global branch, tiles that agree, conditions, CLI and API."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.io import Image
from restore.archs.globalnet import GlobalNet, sample_context
from restore.tasks.scene import WEATHER, SceneModel, reflection_layer


def _net(conditions: int = 3, trained_tail: bool = True) -> GlobalNet:
    torch.manual_seed(0)
    net = GlobalNet(body_kwargs={"channels": 8, "blocks": 2}, conditions=conditions, global_channels=4,
                    global_size=32)
    if trained_tail:
        torch.nn.init.normal_(net.tail.weight, std=0.05)
    return net.eval()


def test_context_sampling_is_positional():
    ctx = torch.arange(16.0).view(1, 1, 4, 4)          # one value per quarter-by-quarter cell
    whole = sample_context(ctx, (0, 0), (8, 8), 8, 8)  # a 2×2 block per cell
    assert torch.equal(whole[0, 0], ctx[0, 0])
    right = sample_context(ctx, (4, 4), (8, 8), 4, 4)  # the bottom-right quarter of the image
    assert torch.equal(right[0, 0], ctx[0, 0, 2:, 2:])


def test_untrained_network_is_the_identity(photo_u8):
    x = torch.from_numpy(photo_u8).permute(2, 0, 1)[None].float() / 255
    assert torch.equal(_net(trained_tail=False)(x), x)


def test_tiles_share_the_whole_image_context_and_agree(photo_u8):
    model = SceneModel(_net(), precision="fp32", kinds=WEATHER)
    img = Image.from_array(np.concatenate([photo_u8, photo_u8[:, ::-1]], 1))       # 48×128
    whole = model(img, kind="haze", tile=256)
    tiled = model(img, kind="haze", tile=16)
    assert torch.allclose(whole.pixels, tiled.pixels, atol=1e-5)
    assert not torch.allclose(whole.pixels, model(img, kind="rain", tile=256).pixels)   # the condition is used
    assert not torch.allclose(whole.pixels, model(img, tile=256).pixels)               # "any" differs too
    with pytest.raises(ValueError, match="unknown degradation 'fog'; this model removes rain, haze, snow"):
        model(img, kind="fog")


def test_gray_alpha_and_the_removed_layer(rng):
    model = SceneModel(_net(conditions=0), precision="fp32")
    arr = rng.integers(0, 65536, (30, 40, 2), dtype=np.uint16)
    out, layer = model(Image.from_array(arr), layer=True)
    assert (out.channels, out.bit_depth, layer.channels) == (1, 16, 1) and out.alpha is not None
    photo = torch.tensor([0.6, 0.5, 0.4]).view(3, 1, 1)
    assert torch.allclose(reflection_layer(photo, photo), torch.zeros(3, 1, 1))
    assert bool((reflection_layer(photo, photo * 0.5) > 0).all())
    with pytest.raises(ValueError, match="1 conditions but 3 kinds"):
        SceneModel(_net(conditions=1), kinds=WEATHER)


def test_training_pairs_are_seeded_and_degraded():
    from restore.recipes.scene import SceneRecipe, scene_batch

    clean = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    for task in ("weather", "dereflect"):
        a = scene_batch(SceneRecipe(task=task), clean, torch.Generator().manual_seed(1))
        b = scene_batch(SceneRecipe(task=task), clean, torch.Generator().manual_seed(1))
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and a[0].shape == clean.shape
        assert float((a[0] - a[1]).abs().mean()) > 0.005
    _, target, cond = scene_batch(SceneRecipe(task="weather", cond_fraction=1.0), clean, torch.Generator())
    assert torch.equal(target, clean) and torch.equal(cond.sum(1), torch.ones(4))


@pytest.mark.parametrize("task, command, suffix", [("weather", "derain", "_derained"),
                                                   ("dereflect", "dereflect", "_dereflected")])
def test_train_export_then_cli_and_api(tmp_path, monkeypatch, capsys, task, command, suffix):
    from PIL import Image as PILImage

    import restore
    from helpers import train_folder
    from restore.cli import main
    from restore.io import read_image
    from restore.weights import Manifest

    data, src = train_folder(tmp_path, 4, 100, 120, step=(30, 40))
    wdir = tmp_path / "weights"
    args = ["train", task, "--minutes", "0.05", "--id", f"{task}-test", "--channels", "8", "--blocks", "1",
            "--batch", "2", "--patch", "32", "--data", data, "--weights-dir", wdir, "--ckpt", tmp_path / "r.pt",
            "--precision", "fp32"]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve(task)
    val = entry.training["validation"]
    assert entry.task == task and ("val_haze" in val if task == "weather" else "val_reflection" in val)
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))
    PILImage.fromarray(src[:40, :60]).save(tmp_path / "in.png")
    extra = ["--layer"] if task == "dereflect" else []
    assert main([command, "-q", *extra, str(tmp_path / "in.png")]) == 0, capsys.readouterr().err
    out = read_image(tmp_path / f"in{suffix}.png")
    api = getattr(restore, command)(src[:40, :60])
    if task == "dereflect":
        assert (tmp_path / "in_dereflected_reflection.png").exists()
        trans, refl = restore.dereflect(src[:40, :60], layer=True)
        assert np.array_equal(trans, api) and refl.shape == api.shape
    assert np.array_equal(out.to_array(), api)


def test_cli_without_a_weather_model_says_so(tmp_path, monkeypatch, capsys, photo_u8):
    from PIL import Image as PILImage

    from restore.cli import main

    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(tmp_path / "empty"))
    PILImage.fromarray(photo_u8).save(tmp_path / "in.png")
    assert main(["dehaze", str(tmp_path / "in.png")]) != 0
    assert "no weather removal model is installed yet: train one with `restore train weather`" in capsys.readouterr().err
