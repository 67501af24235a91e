"""Entropy models: integer scale indexes, baked tables, rANS round trips."""
from __future__ import annotations

import pytest
import torch

from restore.codecs.entropy import (FactorizedPrior, GaussianConditional, RansReader, RansWriter, SymbolCounter,
                                    gaussian_pmf, scale_table)
from restore.codecs.fixedpoint import FRAC, to_fixed


def test_scale_indexes_match_compressai_rule():
    gc = GaussianConditional()
    table = scale_table()
    # scales away from the table entries: the integer rule must agree with compressai's float rule
    scales = torch.exp(torch.linspace(-4, 7, 500))
    far = (scales[:, None] - table[None]).abs().min(1).values > 1e-2
    scales = scales[far]
    expected = torch.full(scales.shape, len(table) - 1)
    for s in table[:-1]:
        expected -= (torch.maximum(scales, torch.tensor(0.11)) <= s).long()
    assert torch.equal(gc.indexes(to_fixed(scales)), expected)


def test_gaussian_symbols_round_trip_through_rans():
    gc = GaussianConditional()
    gc.bake()
    g = torch.Generator().manual_seed(0)
    scales = torch.rand(400, generator=g) * 20
    symbols = torch.round(torch.randn(400, generator=g) * scales * 1.5)   # includes tail (escape) symbols
    idx = gc.indexes(to_fixed(scales))
    w = RansWriter()
    w.write(symbols, idx, gc.table)
    data = w.finish()
    assert torch.equal(RansReader(data, 400).read(idx, gc.table), symbols.double())
    assert len(data) < 400 * 8        # actually compressed


def test_factorized_prior_codes_and_tables_survive_state_dict():
    torch.manual_seed(0)
    fp = FactorizedPrior(3)
    fp.bake()
    z = torch.randn(1, 3, 4, 5) * 4
    w = RansWriter()
    z_hat = fp.encode(z, w)
    data = w.finish()
    assert torch.equal(z_hat, torch.round(z_hat))           # fixed point
    assert (z_hat * 2.0 ** -FRAC - z).abs().max() <= 0.5 + 1e-6
    fresh = FactorizedPrior(3)
    fresh.load_state_dict(fp.state_dict(), strict=True)     # baked tables have data-dependent shapes
    assert torch.equal(fresh.table.cdf, fp.table.cdf)
    assert torch.equal(fresh.decode((1, 3, 4, 5), RansReader(data, 60)), z_hat)


def test_baked_table_picks_the_nearest_scale_and_loads_into_a_default_module():
    gc = GaussianConditional()
    gc.bake(levels=128)
    table = scale_table(levels=128)
    assert gc.thresholds.numel() == 127 and gc.table.cdf.shape[0] == 128
    scales = torch.exp(torch.linspace(-2, 5, 300))
    nearest = (scales.log()[:, None] - table.log()[None]).abs().argmin(1)
    far = ((scales.log()[:, None] - (table[:-1] * table[1:]).sqrt().log()[None]).abs().min(1).values > 1e-3)
    assert torch.equal(gc.indexes(to_fixed(scales))[far], nearest[far])
    fresh = GaussianConditional()                   # constructed with 64 scales, as every model is
    fresh.load_state_dict(gc.state_dict(), strict=True)
    assert torch.equal(fresh.thresholds, gc.thresholds) and torch.equal(fresh.table.cdf, gc.table.cdf)
    old = GaussianConditional()
    old.bake(levels=64, nearest=False)              # the rule models baked before the 128-scale table use
    assert torch.equal(old.thresholds, GaussianConditional().thresholds)


def test_symbol_counter_counts_per_table_with_escapes_in_the_last_column():
    gc, other = GaussianConditional(), FactorizedPrior(2)
    gc.bake(levels=16)
    other.bake()
    counter = SymbolCounter(gc.table)
    size = gc.table.length.long() - 2
    offset = gc.table.offset.long()
    assert counter.counts.shape == (16, int(size.max()) + 1)
    counter.write(torch.tensor([0.0, 0.0, 1.0, -1.0, 1e6]), torch.tensor([3, 3, 3, 15, 3]), gc.table)
    counter.write(torch.tensor([0.0]), torch.tensor([0]), other.table)        # another table: not counted
    c = counter.counts
    assert c.sum() == 5 and c[3, -offset[3]] == 2 and c[3, 1 - offset[3]] == 1 and c[15, -1 - offset[15]] == 1
    assert c[3, -1] == 1                                                    # 1e6 is past the table: an escape
    assert counter.finish() == b""


def test_gaussian_pmf_sums_to_one_and_rebuilds_compressai_tables():
    gc = GaussianConditional()
    gc.bake(levels=32)
    size = gc.table.length.long() - 2
    pmf = gaussian_pmf(scale_table(levels=32), size)
    assert torch.allclose(pmf.sum(1), torch.ones(32, dtype=torch.float64), atol=1e-9)
    cdf = gc.gc._pmf_to_cdf(pmf[:, :-1].float(), pmf[:, -1:].float(), size.int(), int(size.max()))
    assert (cdf - gc.table.cdf).abs().max() <= 8            # compressai computes the same pmf in float32


def test_tables_fitted_to_counts_code_those_symbols_in_fewer_bits():
    g = torch.Generator().manual_seed(0)
    scales = torch.full((4000,), 3.0)
    symbols = torch.round(torch.empty(4000).uniform_(-2.5, 2.5, generator=g))   # uniform on -2..2: not Gaussian
    plain, fitted = GaussianConditional(), GaussianConditional()
    plain.bake(levels=64)
    idx = plain.indexes(to_fixed(scales))
    counter = SymbolCounter(plain.table)
    counter.write(symbols, idx, plain.table)
    fitted.bake(levels=64, counts=counter.counts)
    assert torch.equal(fitted.thresholds, plain.thresholds) and torch.equal(fitted.table.offset, plain.table.offset)
    sizes = []
    for gcm in (plain, fitted):
        w = RansWriter()
        w.write(symbols, idx, gcm.table)
        data = w.finish()
        assert torch.equal(RansReader(data, 4000).read(idx, gcm.table), symbols.double())
        sizes.append(len(data))
    assert sizes[1] < 0.95 * sizes[0] and sizes[1] * 8 < 4000 * 2.4      # near log2(5) = 2.32 bits a symbol
    with pytest.raises(ValueError, match="do not fit 128 tables"):
        fitted.bake(levels=128, counts=counter.counts)
