"""ONNX export: the graph runs in onnxruntime at any size and computes what the PyTorch model does."""
from __future__ import annotations

import pytest
import torch

from restore.cli import main

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")


def test_sr_graph_has_dynamic_size_and_matches_pytorch(tmp_path, capsys):
    from restore.api import load
    from restore.onnx_export import run_onnx

    path = tmp_path / "sr.onnx"
    assert main(["export", "sr-x2", "--onnx", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {path} (srnet-sr-s, opset 18)" in err and "max difference" in err
    m = load("sr-x2", scale=2, precision="fp32")
    for shape in ((1, 3, 37, 53), (2, 3, 64, 20)):
        x = torch.rand(*shape)
        out = run_onnx(path, x, threads=1)
        assert out.shape == (shape[0], 3, 2 * shape[2], 2 * shape[3])
        with torch.no_grad():
            assert torch.allclose(out, m.forward(x), atol=1e-4)


def test_denoiser_exports_with_a_fixed_sigma_and_other_tasks_refuse(tmp_path, capsys):
    from restore.api import load
    from restore.onnx_export import export_onnx, run_onnx

    m = load("denoise", precision="fp32")
    worst = export_onnx(m, tmp_path / "d.onnx", check_shapes=((40, 34),), sigma=25)
    assert worst < 1e-4
    x = torch.rand(1, 3, 48, 30)
    with torch.no_grad():
        ref = m.net(x, 25.0)[0]
        blind = m.net(x)[0]
    out = run_onnx(tmp_path / "d.onnx", x)
    assert torch.allclose(out, ref, atol=1e-4) and not torch.allclose(out, blind, atol=1e-3)
    assert main(["export", "dereflect", "--onnx", str(tmp_path / "r.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no single image-to-image function to export" in err
    assert not (tmp_path / "r.onnx").exists()
