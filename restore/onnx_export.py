"""ONNX export of a task's network, with dynamic batch, height and width, checked against PyTorch."""
from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Callable, Optional

import torch
import torch.nn as nn

__all__ = ["export_onnx", "run_onnx", "OPSET"]

OPSET = 18
MAX_SIDE = 16384


class _Graph(nn.Module):
    """The traced function as a module (``net`` registered so its weights become initialisers)."""

    def __init__(self, net: nn.Module, fn: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.net, self.fn = net, fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


def _require():
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError:
        raise RuntimeError("ONNX export needs onnx, onnxscript and onnxruntime: pip install 'restore[onnx]'") \
            from None


def run_onnx(model: bytes | str | Path, x: torch.Tensor, threads: Optional[int] = None) -> torch.Tensor:
    """Run an exported graph with onnxruntime on the CPU (N×3×H×W float32 in, float32 out)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    src = model if isinstance(model, bytes) else str(model)
    sess = ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])
    return torch.from_numpy(sess.run(None, {sess.get_inputs()[0].name: x.float().numpy()})[0])


def export_onnx(task, path: Path, check_shapes: tuple[tuple[int, int], ...] = ((72, 88), (130, 96)),
                **options) -> float:
    """Write the tile function ``task.tensor_fn(**options)`` of a task loaded in fp32 to ``path``; returns the largest
    difference between onnxruntime's and PyTorch's outputs on random inputs of ``check_shapes`` (rounded
    to the task's multiple), so a caller can see the graph computes what the model does."""
    _require()
    fn = task.tensor_fn(**options)
    m = task.multiple
    graph = _Graph(task.net, fn).eval()
    dim = torch.export.Dim
    h, w = (m * dim(n, min=8, max=MAX_SIDE // m) for n in ("h", "w")) if m > 1 else \
        (dim(n, min=8, max=MAX_SIDE) for n in ("h", "w"))
    example = torch.rand(1, 3, 8 * m * 8, 8 * m * 6)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()):         # the exporter's progress lines
            program = torch.onnx.export(graph, (example,), dynamo=True, opset_version=OPSET,
                                        input_names=["image"], output_names=["restored"],
                                        dynamic_shapes=({0: dim("batch", min=1, max=64), 2: h, 3: w},))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    program.save(str(tmp))
    tmp.replace(path)
    worst = 0.0
    for hh, ww in check_shapes:
        x = torch.rand(2, 3, hh - hh % m, ww - ww % m)
        with torch.no_grad():
            ref = graph(x)
        worst = max(worst, float((run_onnx(path, x) - ref).abs().max()))
    return worst
