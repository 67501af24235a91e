"""Entropy models: integer scale indexes, baked tables, rANS round trips."""
from __future__ import annotations

import torch

from restore.codecs.entropy import FactorizedPrior, GaussianConditional, RansReader, RansWriter, scale_table
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
