"""Community model files through spandrel: detection, the three file layouts, equality with spandrel's own forward
pass (untiled and tiled), refusal of pickles that are more than tensors, one-line errors for a wrong task/scale."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image as PILImage

spandrel = pytest.importorskip("spandrel")
from spandrel.architectures.Compact import Compact  # noqa: E402
from spandrel.architectures.DnCNN import DnCNN  # noqa: E402
from spandrel.architectures.ESRGAN import ESRGAN  # noqa: E402
from spandrel.architectures.SPAN import SPAN  # noqa: E402
from spandrel.architectures.SwinIR import SwinIR  # noqa: E402

from restore.cli import main  # noqa: E402
from restore.io import read_image  # noqa: E402

ARCHS = {   # small random-weight instances of spandrel's own classes: (builder, scale)
    "compact-x4": (lambda: Compact(num_feat=16, num_conv=4, upscale=4), 4),
    "esrgan-x4": (lambda: ESRGAN(num_filters=16, num_blocks=1, scale=4), 4),
    "esrgan-x2-unshuffle": (lambda: ESRGAN(num_filters=16, num_blocks=1, scale=2, shuffle_factor=2), 2),
    "span-x2": (lambda: SPAN(num_in_ch=3, num_out_ch=3, feature_channels=16, upscale=2), 2),
    "swinir-x2": (lambda: SwinIR(img_size=32, embed_dim=12, depths=[2], num_heads=[2], window_size=4, upscale=2,
                                 upsampler="pixelshuffle", mlp_ratio=2.0), 2),
}
CONV = ("compact-x4", "esrgan-x4", "esrgan-x2-unshuffle", "span-x2")


def _state(name: str) -> dict:
    torch.manual_seed(0)
    net = ARCHS[name][0]()
    with torch.no_grad():                      # random weights of a visible size: no near-identity shortcuts
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    return net.state_dict()


def _save(path, sd: dict, layout: str):
    if layout == "safetensors":
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in sd.items()}, str(path), metadata={"license": "CC0", "author": "t"})
    elif layout == "params_ema":
        torch.save({"params_ema": sd}, path)
    else:
        torch.save(sd, path)
    return path


def _reference(model_file, img: np.ndarray) -> np.ndarray:
    """spandrel's own forward pass on the whole image (its padding rule), fp32, rounded to 8 bits."""
    from restore.external import read_state_dict
    from pathlib import Path

    desc = spandrel.ModelLoader().load_from_state_dict(spandrel.canonicalize_state_dict(
        read_state_dict(Path(model_file))[0])).eval()
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    with torch.inference_mode():
        y = desc(x)[0]
    return (y.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    from helpers import EXAMPLES

    return np.asarray(PILImage.open(EXAMPLES / "coffee.png").convert("RGB"))[60:97, 120:165].copy()   # 37×45


@pytest.mark.parametrize("layout", ["pth", "params_ema", "safetensors"])
@pytest.mark.parametrize("name", sorted(ARCHS))
def test_cli_output_equals_spandrels_forward_untiled_and_tiled(name, layout, photo, tmp_path, capsys):
    suffix = ".safetensors" if layout == "safetensors" else ".pth"
    f = _save(tmp_path / f"{name}{suffix}", _state(name), layout)
    scale = ARCHS[name][1]
    src = tmp_path / "in.png"
    PILImage.fromarray(photo).save(src)
    want = _reference(f, photo)
    for tile, out in (("auto", "whole.png"), ("16", "tiled.png")):
        rc = main(["sr", "-s", str(scale), str(src), "--model", str(f), "--precision", "fp32", "--tile", tile,
                   "-o", str(tmp_path / out), "-q"])
        assert rc == 0, capsys.readouterr().err
        got = np.asarray(PILImage.open(tmp_path / out)).astype(int)
        assert got.shape == want.shape
        diff = np.abs(got - want.astype(int))
        if tile == "auto" or name in CONV:                 # whole image, or convs with the receptive field covered
            assert diff.max() <= 1, (name, tile, int(diff.max()))
        else:                                              # window attention across tile edges: close, no seams
            assert diff.mean() < 1.0 and diff.max() <= 24, (name, tile, float(diff.mean()), int(diff.max()))


def test_a_denoiser_file_runs_through_denoise_and_keeps_16_bit_and_alpha(photo, tmp_path, capsys):
    torch.manual_seed(1)
    f = _save(tmp_path / "dncnn.pth", DnCNN(in_nc=3, out_nc=3, nc=16, nb=4).state_dict(), "pth")
    src = tmp_path / "in.png"
    PILImage.fromarray(photo).save(src)
    assert main(["denoise", str(src), "--model", str(f), "--precision", "fp32", "-o", str(tmp_path / "o.png")]) == 0
    got = np.asarray(PILImage.open(tmp_path / "o.png")).astype(int)
    assert np.abs(got - _reference(f, photo).astype(int)).max() <= 1
    rgba16 = np.concatenate([photo.astype(np.uint16) * 257, np.full((*photo.shape[:2], 1), 40000, np.uint16)], 2)
    from restore.io import Image, write_image

    write_image(Image.from_array(rgba16), tmp_path / "deep.png")
    assert main(["denoise", str(tmp_path / "deep.png"), "--model", str(f), "-o", str(tmp_path / "deep_o.png")]) == 0
    out = read_image(tmp_path / "deep_o.png")
    assert out.bit_depth == 16 and out.alpha is not None and float(out.alpha.mean()) == pytest.approx(40000 / 65535)
    assert main(["denoise", str(src), "--model", str(f), "--sigma", "25", "-o", str(tmp_path / "s.png")]) == 1
    assert "takes no --sigma" in capsys.readouterr().err


class Evil:
    """A pickle that would run code when loaded (writes a file) if a loader let it."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickles_beyond_tensors_are_refused_and_never_run(photo, tmp_path, capsys):
    witness = tmp_path / "ran.txt"
    f = tmp_path / "evil.pth"
    torch.save({"params": _state("compact-x4"), "extra": Evil(witness)}, f)
    src = tmp_path / "in.png"
    PILImage.fromarray(photo).save(src)
    assert main(["sr", "-s", "4", str(src), "--model", str(f)]) == 1
    err = capsys.readouterr().err.strip()
    assert "refused" in err and "unpickling" in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not witness.exists()
    ts = tmp_path / "script.pt"
    torch.jit.save(torch.jit.script(torch.nn.Conv2d(3, 3, 1)), ts)
    assert main(["sr", "-s", "4", str(src), "--model", str(ts)]) == 1
    assert "refused" in capsys.readouterr().err


def test_wrong_scale_or_task_is_a_one_line_usage_error(photo, tmp_path, capsys):
    sr2 = _save(tmp_path / "span.safetensors", _state("span-x2"), "safetensors")
    torch.manual_seed(1)
    dn = _save(tmp_path / "dncnn.pth", DnCNN(in_nc=3, out_nc=3, nc=16, nb=4).state_dict(), "pth")
    src = tmp_path / "in.png"
    PILImage.fromarray(photo).save(src)
    cases = [(["sr", "-s", "4", str(src), "--model", str(sr2)], "is a ×2 model; --scale 4 asked"),
             (["sr", "-s", "2", str(src), "--model", str(dn)], "not an upscaler"),
             (["denoise", str(src), "--model", str(sr2)], "upscaling model; use it with `restore sr -s 2`"),
             (["sr", "-s", "2", str(src), "--model", str(tmp_path / "missing.pth")], "no such model file")]
    for args, msg in cases:
        rc = main(args)
        err = capsys.readouterr().err.strip()
        assert rc != 0 and msg in err.splitlines()[-1] and "Traceback" not in err, (args, err)


def test_models_inspect_says_what_spandrel_detected(tmp_path, capsys):
    f = _save(tmp_path / "m.safetensors", _state("esrgan-x2-unshuffle"), "safetensors")
    assert main(["models", "--inspect", str(f)]) == 0
    out = capsys.readouterr().out
    assert "ESRGAN" in out and "scale" in out and " 2\n" in out and "CC0" in out
