"""Burst fusion: the network, alignment, tiling, bad bursts, training export, CLI and API."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.degrade import synth_burst
from restore.io import Image
from restore.tasks.burst import BurstModel
from restore.archs.burstnet import BurstNet


def _net(scale: int = 1, trained_tail: bool = True) -> BurstNet:
    torch.manual_seed(0)
    net = BurstNet(body_kwargs={"channels": 8, "blocks": 1}, frame_channels=8, scale=scale)
    if trained_tail:
        torch.nn.init.normal_(net.tail.weight, std=0.05)
    return net.eval()


def _photo(photo_u8) -> torch.Tensor:
    return torch.from_numpy(photo_u8).permute(2, 0, 1).float() / 255


def test_untrained_network_averages_identical_frames_to_themselves(photo_u8):
    x = _photo(photo_u8)[None, None].expand(1, 5, 3, 48, 64)
    assert torch.allclose(_net(trained_tail=False)(x), x[:, 0], atol=1e-6)
    assert _net(scale=2)(x).shape == (1, 3, 96, 128)
    with pytest.raises(ValueError, match="scale must be 1, 2 or 4"):
        BurstNet(scale=3)


def test_task_aligns_tiles_exactly_and_handles_any_frame_count(photo_u8):
    clean = _photo(photo_u8)
    b = synth_burst(clean, 4, torch.Generator().manual_seed(0), max_shift=1.5, sigma=10.0)
    frames = [Image(f) for f in b.frames]
    model = BurstModel(_net(), precision="fp32")
    whole, tiled = model(frames, tile=256), model(frames, tile=16)
    assert (whole.width, whole.height) == (64, 48) and torch.allclose(whole.pixels, tiled.pixels, atol=1e-5)
    assert model(frames[:2], tile=256).meta["burst_frames_used"] == 2
    sr = BurstModel(_net(scale=2), precision="fp32")(frames, tile=256)
    assert (sr.width, sr.height) == (128, 96)


def test_bad_bursts_give_one_line_errors(photo_u8):
    model = BurstModel(_net(), precision="fp32")
    a = Image.from_array(photo_u8)
    with pytest.raises(ValueError, match="a burst needs at least 2 frames, got 1"):
        model([a])
    b = Image.from_array(photo_u8[:40], meta={"path": "small.png"})
    with pytest.raises(ValueError, match="small.png is 64×40 but the first frame is 64×48"):
        model([a, b])


def test_ghost_and_fallback_weights():
    from restore.archs.burstnet import fallback_weight, ghost_weight

    gen = torch.Generator().manual_seed(0)
    clean = torch.full((3, 64, 64), 0.5)
    ref = clean + 0.1 * torch.randn(clean.shape, generator=gen)
    fused = clean.clone()
    fused[:, 20:40, 30:50] = 0.8                                   # something the reference does not show
    g = ghost_weight(fused, ref, sigma=0.1)
    assert float(g[26:34, 36:44].min()) == 1.0
    assert float(g[:, :16].mean()) < 0.01 and float(g[:, :16].max()) < 0.5    # noise alone: rare, weak hits
    share = torch.full((64, 64), 1 / 8)
    share[0:6, 0:6] = 1.0                                          # only the reference trusted there
    w = fallback_weight(torch.zeros(64, 64), share, grow=3)
    assert float(w[0:7, 0:7].min()) == 1.0 and float(w[10:].max()) == 0.0


def test_fallback_denoiser_replaces_a_ghosted_object(photo_u8):
    from restore.tasks.denoise import DenoiseModel
    from restore.archs.denoisenet import DenoiseNet

    clean = _photo(photo_u8)
    b = synth_burst(clean, 6, torch.Generator().manual_seed(3), max_shift=1.0, sigma=5.0, moving_object=True)
    frames = [Image(f) for f in b.frames]
    identity = DenoiseModel(DenoiseNet(body="res", body_kwargs={"channels": 8, "blocks": 1}, estimator_channels=8),
                            precision="fp32")                      # untrained: returns its input
    plain = BurstModel(_net(trained_tail=False), precision="fp32")(frames, tile=256).pixels
    loads = []
    lazy = BurstModel(_net(trained_tail=False), precision="fp32", fallback=lambda: loads.append(1) or identity)
    assert loads == []                                                # loaded on first use, not when built
    guarded = lazy(frames, tile=256).pixels
    assert loads == [1] and lazy.fallback is identity
    y, x, s = b.object_box
    err = lambda t: float((t[:, y:y + s, x:x + s] - b.target[:, y:y + s, x:x + s]).abs().mean())  # noqa: E731
    assert err(guarded) < 0.5 * err(plain)                           # the untrained mean ghosts; the guard does not
    assert err(guarded) < 1.5 * err(b.frames[0])                     # about the (noisy) reference there
    sr = BurstModel(_net(scale=2, trained_tail=False), precision="fp32", fallback=identity)(frames, tile=256)
    assert (sr.width, sr.height) == (128, 96) and 0 <= float(sr.pixels.min()) and float(sr.pixels.max()) <= 1


def test_training_bursts_are_seeded_and_aligned():
    from restore.recipes.burst import BurstRecipe, make_bursts

    clean = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    recipe = BurstRecipe(frames=4, jitter=0.0)
    a = make_bursts(recipe, clean, torch.Generator().manual_seed(1), sigma=0.0, moving=False)
    b = make_bursts(recipe, clean, torch.Generator().manual_seed(1), sigma=0.0, moving=False)
    assert torch.equal(a[0], b[0]) and a[0].shape == (2, 4, 3, 64, 64) and torch.equal(a[1], clean)
    smooth = torch.nn.functional.avg_pool2d(clean, 9, 1, 4)            # aligned frames match the reference
    frames, _ = make_bursts(recipe, smooth, torch.Generator().manual_seed(2), sigma=0.0, moving=False)
    inner = frames[..., 8:-8, 8:-8]
    assert float((inner[:, 1:] - inner[:, :1]).abs().mean()) < 0.01


def test_train_export_then_cli_and_api(tmp_path, monkeypatch, capsys):
    from PIL import Image as PILImage

    import restore
    from helpers import train_folder
    from restore.cli import main
    from restore.io import read_image
    from restore.weights import Manifest

    data, src = train_folder(tmp_path, 4, 100, 120, step=(30, 40))
    wdir = tmp_path / "weights"
    args = ["train", "burst", "--minutes", "0.05", "--frames", "3", "--channels", "8", "--blocks", "1",
            "--batch", "2", "--patch", "32", "--data", data, "--weights-dir", wdir, "--ckpt", tmp_path / "r.pt",
            "--precision", "fp32"]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve("burst-x1")
    assert entry.task == "burst" and {"val_burst_s25", "val_reference_s25"} <= set(entry.training["validation"])
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))
    b = synth_burst(torch.from_numpy(src[:48, :64].copy()).permute(2, 0, 1).float() / 255, 3,
                    torch.Generator().manual_seed(0), max_shift=1.0, sigma=10.0)
    shots = tmp_path / "shots"
    shots.mkdir()
    arrays = [(f.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8) for f in b.frames]
    for i, a in enumerate(arrays):
        PILImage.fromarray(a).save(shots / f"f{i}.png")
    assert main(["burst", "-q", str(shots), "-o", str(tmp_path / "fused.png")]) == 0, capsys.readouterr().err
    api = restore.fuse_burst(arrays)
    assert np.array_equal(read_image(tmp_path / "fused.png").to_array(), api)

    PILImage.fromarray(arrays[0][:40]).save(tmp_path / "odd.png")
    (tmp_path / "junk.png").write_bytes(b"not an image")
    for frames, msg in [([shots / "f0.png"], "a burst needs at least 2 frames, got 1"),
                        ([shots / "f0.png", tmp_path / "odd.png"], "odd.png is 64×40 but the first frame is 64×48"),
                        ([shots / "f0.png", tmp_path / "junk.png"], "junk.png: not a readable image")]:
        assert main(["burst", *map(str, frames)]) != 0
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err
