"""Arbitrary-scale SR: training from a fixed-scale model, any scale or size from the CLI/API, exact tiles."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

from helpers import train_folder
from restore.cli import main
from restore.io import read_image
from restore.tasks.sr_any import SRAnyModel, output_size
from restore.archs.sranynet import SRAnyNet, sample_grid


def test_sample_grid_follows_pixel_centres():
    i, t = sample_grid(4, 8)                     # ×2: centres at -0.25, 0.25, 0.75, …
    assert i.tolist() == [0, 0, 0, 1, 1, 2, 2, 2]
    assert torch.allclose(t, torch.tensor([-0.25, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 1.25]))


def test_output_size_rounds_like_matlab_and_checks_the_range():
    assert output_size(10, 20, 2.5) == (25, 50)
    assert output_size(10, 20, (1.5, 3.3)) == (15, 66)
    assert output_size(10, 20, size=(40, 21)) == (40, 21)
    with pytest.raises(ValueError, match="between 1 and 4"):
        output_size(10, 20, 4.5)
    with pytest.raises(ValueError, match=r"needs a scale between 1 and 4 for a 20×10 image"):
        output_size(10, 20, size=(41, 30))


def test_untrained_net_is_bicubic_and_tiles_are_exact():
    torch.manual_seed(0)
    net = SRAnyNet(body_kwargs={"channels": 8, "blocks": 1})
    x = torch.rand(1, 3, 20, 26)
    base = torch.nn.functional.interpolate(x, size=(47, 61), mode="bicubic", align_corners=False)
    assert torch.allclose(net(x, (47, 61)), base)
    with torch.no_grad():
        net.mlp[-1].weight.normal_(0, 0.2)
    m = SRAnyModel(net, precision="fp32")
    img = torch.rand(3, 70, 90)
    whole = m.upscale_tensor(img, (161, 300), tile=4096)
    tiled = m.upscale_tensor(img, (161, 300), tile=24)
    assert torch.allclose(whole, tiled, atol=1e-5)
    assert not torch.allclose(whole, torch.nn.functional.interpolate(img[None], size=(161, 300), mode="bicubic",
                                                                     align_corners=False)[0].clamp(0, 1), atol=1e-3)


def _reference_render(net: SRAnyNet, feats, gy, gx, cell):
    """The implicit function written out plainly: for each of the 4 nearest cells, the MLP (as the module's
    1×1 convs) of feature + position code (offset and cell size through ``net.pos``), bilinearly blended."""
    (iy, ty), (ix, tx) = gy, gx
    out = 0
    for dy in (0, 1):
        for dx in (0, 1):
            f = feats[:, :, iy + dy][:, :, :, ix + dx]
            code = torch.stack(torch.broadcast_tensors((ty - dy)[:, None], (tx - dx)[None, :],
                                                       torch.tensor(cell[0]), torch.tensor(cell[1])))
            pos = torch.einsum("ck,khw->chw", net.pos.weight, code)
            wy = (1 - ty.clamp(0, 1)) if dy == 0 else ty.clamp(0, 1)
            wx = (1 - tx.clamp(0, 1)) if dx == 0 else tx.clamp(0, 1)
            out = out + net.mlp(f + pos) * (wy[:, None] * wx[None, :])
    return out


def test_render_matches_the_plain_formula_in_fp32_and_bf16():
    torch.manual_seed(1)
    net = SRAnyNet(body_kwargs={"channels": 8, "blocks": 1}, hidden=16).eval()
    with torch.no_grad():
        net.mlp[-1].weight.normal_(0, 0.3)
        net.pos.weight.normal_(0, 1.0)
    x = torch.rand(1, 3, 9, 11)
    gy, gx, cell = net.grids(9, 11, (23, 30))
    with torch.no_grad():
        feats = net.features(x)
        ref = _reference_render(net, feats, gy, gx, cell)
        assert torch.allclose(net.render(feats, gy, gx, cell), ref, atol=1e-5)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):   # the auto path's kernels
        fast = net.render(feats.contiguous(memory_format=torch.channels_last), gy, gx, cell).float()
    assert (fast - ref).abs().max() < 0.03 * ref.abs().max()


@pytest.fixture
def any_model(tmp_path_factory, monkeypatch):
    """A tiny arbitrary-scale model warm-started from a tiny fixed-scale one, in its own weights folder."""
    root = tmp_path_factory.mktemp("sr_any")
    data, _ = train_folder(root, 4, 96, 120)
    wdir = root / "weights"
    common = ["--minutes", "0.05", "--channels", "8", "--blocks", "1", "--batch", "2", "--data", str(data),
              "--weights-dir", str(wdir), "--precision", "fp32"]
    assert main(["train", "sr", "--scale", "2", "--id", "sr-tiny", "--patch", "24", "--ckpt", str(root / "a.pt"),
                 *common]) == 0
    assert main(["train", "sr-any", "--id", "sr-any-tiny", "--from-sr", "sr-tiny", "--hidden", "16", "--patch",
                 "48", "--ckpt", str(root / "b.pt"), *common]) == 0
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))
    return wdir


def test_train_cli_warm_starts_and_records(any_model):
    from restore.weights import Manifest, build_model

    entry, _ = Manifest(any_model).resolve("sr-any")
    assert entry.id == "sr-any-tiny" and entry.task == "sr-any"
    assert entry.training["recipe"]["warm_start"].startswith("stem and body of sr-tiny")
    assert {"val_x1.5", "val_x2.5", "val_x3.5", "val_x2x3.5"} <= set(entry.training["validation"])
    from restore.recipes.sr_any import warm_start

    sr_net = build_model(Manifest(any_model).resolve("sr-tiny")[0], any_model)
    fresh = warm_start(SRAnyNet(**entry.kwargs), sr_net)
    assert torch.equal(fresh.body.fuse.weight, sr_net.body.fuse.weight)
    assert torch.equal(fresh.stem.weight, sr_net.stem.weight)
    with pytest.raises(ValueError, match="does not match"):
        warm_start(SRAnyNet(body_kwargs={"channels": 12, "blocks": 1}), sr_net)


def test_cli_any_scale_size_and_aspect(any_model, tmp_path, photo_u8, capsys):
    rgba = np.dstack([photo_u8, np.full(photo_u8.shape[:2], 200, np.uint8)])
    src = tmp_path / "p.png"
    PILImage.fromarray(rgba).save(src)                                 # 64×48 with alpha
    assert main(["sr", "-s", "2.5", str(src), "-q"]) == 0, capsys.readouterr().err
    out = read_image(tmp_path / "p_x2.5.png")
    assert (out.width, out.height) == (160, 120) and out.alpha is not None
    assert torch.allclose(out.alpha, torch.full_like(out.alpha, 200 / 255), atol=1 / 255)
    assert main(["sr", "--size", "100x70", str(src), "-q"]) == 0
    assert (read_image(tmp_path / "p_100x70.png").width, read_image(tmp_path / "p_100x70.png").height) == (100, 70)
    assert main(["sr", "-s", "3x1.5", str(src), "-q"]) == 0
    asym = read_image(tmp_path / "p_x3x1.5.png")
    assert (asym.width, asym.height) == (192, 72)
    capsys.readouterr()
    assert main(["sr", "-s", "5", str(src)]) == 2
    assert "scale must be between 1 and 4, not 5" in capsys.readouterr().err
    assert main(["sr", "--size", "300x70", str(src)]) == 1
    err = capsys.readouterr().err
    assert "needs a scale between 1 and 4 for a 64×48 image" in err and err.count("\n") == 2   # error + summary
    assert main(["sr", "-s", "2.5", "--model", "sr-tiny", str(src)]) == 2
    assert "use an arbitrary-scale model" in capsys.readouterr().err


def test_api_routes_whole_scales_to_the_fixed_model(any_model, photo_u8):
    import restore
    from restore.api import sr_model

    m, opts = sr_model(2)
    assert m.entry.id == "sr-tiny" and opts == {}
    m, opts = sr_model(2.5)
    assert m.entry.id == "sr-any-tiny" and opts == {"scale": 2.5, "size": None}
    out = restore.sr(photo_u8, scale=(1.5, 2.0))
    assert out.shape == (72, 128, 3) and out.dtype == np.uint8
    assert restore.sr(photo_u8, size=(50, 70)).shape == (50, 70, 3)
