"""Entropy models shared by every codec: a factorized prior and a Gaussian conditional, with baked CDF tables.

Training uses compressai's differentiable likelihoods. For coding, the integer CDF tables are computed once
when weights are exported ("baked") and stored with the weights as buffers, so a decoder never recomputes
them from floats. Symbols go through compressai's rANS coder (``RansWriter`` / ``RansReader``).
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import torch
import torch.nn as nn

from restore.codecs.fixedpoint import FRAC

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from compressai.ans import BufferedRansEncoder, RansDecoder
    from compressai.entropy_models import EntropyBottleneck
    from compressai.entropy_models import GaussianConditional as _CompressaiGC

__all__ = ["CdfTable", "FactorizedPrior", "GaussianConditional", "RansWriter", "RansReader", "SymbolCounter",
           "fitted_pmf", "gaussian_pmf", "scale_table", "ste_round"]


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Round with a straight-through gradient."""
    return x + (torch.round(x) - x).detach()


def scale_table(lo: float = 0.11, hi: float = 256.0, levels: int = 64) -> torch.Tensor:
    """Log-spaced Gaussian scales that index the CDF tables (compressai's default range)."""
    return torch.exp(torch.linspace(torch.log(torch.tensor(lo)), torch.log(torch.tensor(hi)), levels))


_COMPRESSAI_TABLES = ("_quantized_cdf", "_cdf_length", "_offset")


def resize_for_load(module: nn.Module, state_dict: dict, prefix: str, names: tuple[str, ...]) -> None:
    """Give buffers whose shape depends on baked data the incoming shape, so strict loading works."""
    for name in names:
        if prefix + name in state_dict:
            setattr(module, name, torch.empty_like(state_dict[prefix + name]))


class _TablesResizable:
    """Mixin for compressai entropy models: their CDF buffers change shape when updated."""

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        resize_for_load(self, state_dict, prefix, _COMPRESSAI_TABLES)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


_OLD_NAMES = {"matrices": "_matrix", "biases": "_bias", "factors": "_factor"}   # compressai ≥ 1.2.7 ↔ ≤ 1.2.6


class _Bottleneck(_TablesResizable, EntropyBottleneck):
    """compressai's EntropyBottleneck; loads its density parameters under either version's names."""

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        own = set(dict(self.named_parameters()))
        for key in [k for k in state_dict if k.startswith(prefix)]:
            name = key[len(prefix):]
            if name in own:
                continue
            new, old = re.fullmatch(r"(\w+)\.(\d+)", name), re.fullmatch(r"_(matrix|bias|factor)(\d+)", name)
            if new and new.group(1) in _OLD_NAMES:
                alt = f"{_OLD_NAMES[new.group(1)]}{new.group(2)}"
            elif old:
                alt = {v: k for k, v in _OLD_NAMES.items()}["_" + old.group(1)] + "." + old.group(2)
            else:
                continue
            if alt in own:
                state_dict[prefix + alt] = state_dict.pop(key)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class _Gaussian(_TablesResizable, _CompressaiGC):
    pass


def _clear_tables(module: nn.Module) -> None:
    for name in _COMPRESSAI_TABLES:
        setattr(module, name, torch.zeros(0, dtype=torch.int32))


class CdfTable(nn.Module):
    """Integer CDFs with lengths and offsets, stored as buffers; converted to lists once for the coder."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("cdf", torch.zeros(0, 0, dtype=torch.int32))
        self.register_buffer("length", torch.zeros(0, dtype=torch.int32))
        self.register_buffer("offset", torch.zeros(0, dtype=torch.int32))
        self._lists: tuple | None = None

    def set(self, cdf: torch.Tensor, length: torch.Tensor, offset: torch.Tensor) -> None:
        self.cdf, self.length, self.offset = cdf.int().clone(), length.int().clone(), offset.int().clone()
        self._lists = None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        resize_for_load(self, state_dict, prefix, ("cdf", "length", "offset"))
        self._lists = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @property
    def ready(self) -> bool:
        return self.cdf.numel() > 0

    def lists(self) -> tuple[list, list, list]:
        if not self.ready:
            raise RuntimeError("entropy tables are not baked; call bake() on the model first")
        if self._lists is None:
            self._lists = (self.cdf.int().tolist(), self.length.int().tolist(), self.offset.int().tolist())
        return self._lists


class RansWriter:
    """Collects (symbol, table index) runs and writes one rANS stream."""

    def __init__(self) -> None:
        self._enc = BufferedRansEncoder()

    def write(self, symbols: torch.Tensor, indexes: torch.Tensor, table: CdfTable) -> None:
        cdf, length, offset = table.lists()
        self._enc.encode_with_indexes(symbols.reshape(-1).int().tolist(), indexes.reshape(-1).int().tolist(),
                                      cdf, length, offset)

    def finish(self) -> bytes:
        return self._enc.flush()


class RansReader:
    """Reads symbols back from one rANS stream in the order they were written.

    compressai's decoder does not check the end of its buffer, and a crafted stream (one that passes the
    container's CRC but was not written by this coder) makes it read past the end. A valid stream never
    reads past its end, so the buffer gets a zero tail sized for the worst case: one 32-bit word per
    symbol, plus the escape (bypass) reads that the stream's own bits can demand. Once the decoder reads
    zeros its escape loops end, so decoding garbage is bounded and yields garbage symbols, not a crash.
    """

    def __init__(self, data: bytes, symbols: int) -> None:
        self._dec = RansDecoder()
        self._dec.set_stream(bytes(data) + bytes(4 * symbols + 64 * len(data) + 1024))

    def read(self, indexes: torch.Tensor, table: CdfTable) -> torch.Tensor:
        cdf, length, offset = table.lists()
        out = self._dec.decode_stream(indexes.reshape(-1).int().tolist(), cdf, length, offset)
        return torch.from_numpy(np.array(out, dtype=np.int64)).double().reshape(indexes.shape)


class SymbolCounter:
    """A writer that codes nothing: it counts, per table index, the symbols written with one table.

    ``counts[k, s - offset[k]]`` counts symbol ``s`` coded with table ``k``; the last column counts the
    symbols outside the table's range (the escapes). :meth:`GaussianConditional.bake` fits tables to them.
    """

    def __init__(self, table: "CdfTable") -> None:
        self.table = table
        self.offset = table.offset.long()
        self.size = (table.length - 2).long()
        self.counts = torch.zeros(len(self.size), int(self.size.max()) + 1, dtype=torch.float64)

    def write(self, symbols: torch.Tensor, indexes: torch.Tensor, table: "CdfTable") -> None:
        if table is not self.table:
            return
        k = indexes.reshape(-1).long()
        rel = symbols.reshape(-1).long() - self.offset[k]
        rel = torch.where((rel >= 0) & (rel < self.size[k]), rel, self.counts.shape[1] - 1)
        self.counts.index_put_((k, rel), torch.ones(len(k), dtype=torch.float64), accumulate=True)

    def finish(self) -> bytes:
        return b""


def gaussian_pmf(scales: torch.Tensor, size: torch.Tensor) -> torch.Tensor:
    """Per scale, the probabilities of the ``size`` integers centred on 0 under a Gaussian (zero past each
    row's size), then the tail mass outside them in the last column: the layout of :class:`SymbolCounter`."""
    width = int(size.max())
    centre = (size.view(-1, 1) - 1) // 2
    k = (torch.arange(width).view(1, -1) - centre).abs().double()
    sd = scales.double().view(-1, 1)
    cdf = lambda v: 0.5 * torch.erfc(-v / 2 ** 0.5)     # noqa: E731
    pmf = (cdf((0.5 - k) / sd) - cdf((-0.5 - k) / sd)) * (torch.arange(width).view(1, -1) < size.view(-1, 1))
    return torch.cat([pmf, 2 * cdf((-0.5 - centre.double()) / sd)], 1)


def fitted_pmf(counts: torch.Tensor, prior: torch.Tensor, weight: float) -> torch.Tensor:
    """Counted symbol frequencies smoothed towards ``prior`` (both in :class:`SymbolCounter`'s layout) with
    ``weight`` pseudo-counts per table: rarely used tables stay close to the prior."""
    n = counts.sum(1, keepdim=True)
    return (counts + weight * prior / prior.sum(1, keepdim=True)) / (n + weight)


class FactorizedPrior(nn.Module):
    """Per-channel learned density for the hyper-latent ``z`` (Ballé et al.'s EntropyBottleneck).

    Coding uses medians rounded to ``FRAC`` fractional bits so the decoded ``z`` is exact fixed point.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.bottleneck = _Bottleneck(channels)
        self.table = CdfTable()
        self.register_buffer("medians", torch.zeros(channels, dtype=torch.float64))

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training/eval pass: (z with noise or rounding, likelihoods), always in float32."""
        with torch.autocast("cpu", enabled=False):
            return self.bottleneck(z.float())

    def likelihood(self, z_hat: torch.Tensor) -> torch.Tensor:
        """Likelihoods of given (already quantised or relaxed) values of ``z``, B×C×H×W, in float32."""
        with torch.autocast("cpu", enabled=False):
            b = self.bottleneck
            c = z_hat.shape[1]
            values = z_hat.float().transpose(0, 1).reshape(c, 1, -1)
            lik = b.likelihood_lower_bound(b._likelihood(values)[0])
            return lik.reshape(c, z_hat.shape[0], *z_hat.shape[2:]).transpose(0, 1)

    @property
    def coded_medians(self) -> torch.Tensor:
        """1×C×1×1: the medians the coder rounds ``z`` around (fixed point, so the same on every machine)."""
        return (self.medians * 2.0 ** -FRAC).float().view(1, -1, 1, 1)

    @torch.no_grad()
    def bake(self) -> None:
        """Solve the quantiles, compute the integer CDFs and the fixed-point medians."""
        self.bottleneck.update(force=True, update_quantiles=True)
        b = self.bottleneck
        self.table.set(b._quantized_cdf, b._cdf_length, b._offset)
        _clear_tables(b)            # the copy in ``table`` is the one that is saved and used
        self.medians = torch.round(b.quantiles[:, 0, 1].double() * 2.0 ** FRAC)

    def _indexes(self, shape: torch.Size) -> torch.Tensor:
        c = shape[1]
        return torch.arange(c).view(1, c, 1, 1).expand(shape)

    def encode(self, z: torch.Tensor, writer: RansWriter) -> torch.Tensor:
        """Code ``z``; returns the decoder's ``z_hat`` in fixed point."""
        med = self.medians.view(1, -1, 1, 1)
        sym = torch.round(z.double() - med * 2.0 ** -FRAC)
        writer.write(sym, self._indexes(z.shape), self.table)
        return sym * 2.0 ** FRAC + med

    def decode(self, shape: tuple[int, int, int, int], reader: RansReader) -> torch.Tensor:
        sym = reader.read(self._indexes(torch.Size(shape)), self.table)
        return sym * 2.0 ** FRAC + self.medians.view(1, -1, 1, 1)


def _thresholds(table: torch.Tensor, nearest: bool) -> torch.Tensor:
    """Fixed-point scale thresholds between consecutive table entries: their geometric mean (``nearest``) or the
    lower entry (the next larger one is picked). scale > t  ⟺  scale_fixed > floor(t * 2**FRAC): exact."""
    t = table.double()
    return torch.floor(((t[:-1] * t[1:]).sqrt() if nearest else t[:-1]) * 2.0 ** FRAC)


class GaussianConditional(nn.Module):
    """Gaussian likelihood with predicted mean and scale; coding indexes come from integer thresholds.

    The table of scales and the thresholds that pick an entry are baked with the weights, so a model always
    decodes with the ones it was exported with. Earlier models were baked with 64 scales and pick the next
    larger one (compressai's rule); :meth:`bake` now uses 128 and picks the nearest one on the log scale,
    which codes the same symbols 0.2-0.5 % smaller.
    """

    def __init__(self, levels: int = 64):
        super().__init__()
        table = scale_table(levels=levels)
        self.gc = _Gaussian(table.tolist())
        self.table = CdfTable()
        self.register_buffer("thresholds", _thresholds(table, nearest=False))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        resize_for_load(self, state_dict, prefix, ("thresholds",))
        resize_for_load(self.gc, state_dict, prefix + "gc.", ("scale_table",))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def likelihood(self, y: torch.Tensor, scales: torch.Tensor, means: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", enabled=False):
            return self.gc._likelihood(y.float(), scales.float(), means.float()).clamp_min(1e-9)

    @torch.no_grad()
    def bake(self, levels: int = 128, nearest: bool = True, counts: torch.Tensor | None = None,
             weight: float = 100.0) -> None:
        """Compute the CDF tables for ``levels`` log-spaced scales and the thresholds that index them:
        the nearest table scale on the log scale (``nearest``) or the next larger one.

        Each table is a quantised Gaussian, or with ``counts`` (a :class:`SymbolCounter`'s, made with tables
        of the same ``levels``) the symbol frequencies counted with it, smoothed towards that Gaussian with
        ``weight`` pseudo-counts: the distribution the symbols actually have at each predicted scale.
        """
        table = scale_table(levels=levels)
        self.gc.update_scale_table(table, force=True)
        cdf, length, offset = self.gc._quantized_cdf, self.gc._cdf_length, self.gc._offset
        if counts is not None:
            size = length.long() - 2
            if counts.shape != (levels, int(size.max()) + 1):
                raise ValueError(f"counts of shape {tuple(counts.shape)} do not fit {levels} tables")
            pmf = fitted_pmf(counts, gaussian_pmf(table, size), weight)
            cdf = self.gc._pmf_to_cdf(pmf[:, :-1].float(), pmf[:, -1:].float(), size.int(), int(size.max()))
        self.table.set(cdf, length, offset)
        _clear_tables(self.gc)
        self.thresholds = _thresholds(table, nearest)

    def indexes(self, scales_fixed: torch.Tensor) -> torch.Tensor:
        """CDF table index for fixed-point scales: how many thresholds each scale exceeds (a binary search;
        exact, since both are integers in float64)."""
        return torch.searchsorted(self.thresholds, scales_fixed.contiguous())
