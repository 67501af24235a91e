"""Weather (haze, rain, snow): seeded, physically sensible, pure to apply."""
from __future__ import annotations

import pytest
import torch

from restore.degrade.weather import (SNOW_SIZES, WEATHER_OPS, Haze, Rain, Snow, add_haze, add_rain, add_snow,
                                     apply_haze, apply_rain, apply_snow, haze_transmission, rain_streaks,
                                     sample_haze, sample_rain, sample_snow, snow_alpha)

from .contract import check_op, params_over_seeds


def _img(seed: int = 0, h: int = 48, w: int = 64) -> torch.Tensor:
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


def test_haze_follows_the_scattering_model_and_is_seeded():
    x = _img(2)
    a, t = add_haze(x, torch.Generator().manual_seed(3), beta=1.5, airlight=0.9)
    b, _ = add_haze(x, torch.Generator().manual_seed(3), beta=1.5, airlight=0.9)
    assert torch.equal(a, b) and t.shape == (1, 48, 64)
    assert float(t[0, 0].mean()) < float(t[0, -1].mean())           # the top of the frame is farther away
    assert bool((t > 0).all()) and bool((t <= 1).all())
    assert float(a.std()) < float(x.std())                          # haze lowers contrast


def test_rain_and_snow_brighten_only_where_their_layers_are():
    x = torch.full((3, 64, 64), 0.3)
    rainy, streaks = add_rain(x, torch.Generator().manual_seed(0), density=0.01, length=15, angle=90.0)
    assert streaks.shape == (1, 64, 64) and float(streaks.max()) > 0.2
    assert float(rainy[:, streaks[0] > 0.2].mean()) > float(rainy[:, streaks[0] == 0].mean())
    snowy, alpha = add_snow(x, torch.Generator().manual_seed(0))
    assert float(alpha.max()) > 0.5 and torch.equal(snowy[:, alpha[0] == 0], x[:, alpha[0] == 0])
    assert bool((snowy >= x - 1e-6).all())                            # white flakes over a dark image


def test_weather_params_are_in_their_ranges():
    for p in params_over_seeds(lambda g: sample_haze(g), 100):
        assert 0.3 <= p.beta < 1.5 and 0.7 <= p.airlight < 0.95
        assert 0.95 <= p.tint[0] < 1.0 and p.tint[1] == 1.0 and 0.95 <= p.tint[2] < 1.05
    for p in params_over_seeds(lambda g: sample_rain(g, 16, 24), 100):
        assert 0.002 <= p.density < 0.012 and 8 <= p.length <= 29 and 60 <= p.angle < 120
        assert 0.5 <= p.brightness < 0.9 and 0 <= p.veil.beta < 0.25 and 0.75 <= p.veil.airlight < 0.95
        assert p.drops.shape == (1, 1, 16, 24) and 0 <= float(p.drops.min()) and float(p.drops.max()) < 1
    for p in params_over_seeds(lambda g: sample_snow(g, 16, 24), 100):
        assert 0.5 <= p.density < 1.5 and len(p.seeds) == len(p.opacity) == len(SNOW_SIZES)
        assert all(0.6 <= o < 1.0 for o in p.opacity) and p.seeds[0].shape == (1, 1, 16, 24)


def test_the_add_functions_are_sample_then_apply():
    x = _img(1)
    g = lambda: torch.Generator().manual_seed(8)  # noqa: E731
    p = sample_haze(g())
    assert torch.equal(add_haze(x, g())[0], apply_haze(x, p))
    assert torch.equal(add_haze(x, g())[1], haze_transmission(p, 48, 64))
    p = sample_rain(g(), 48, 64)
    assert torch.equal(add_rain(x, g())[0], apply_rain(x, p)) and torch.equal(add_rain(x, g())[1], rain_streaks(p))
    p = sample_snow(g(), 48, 64)
    assert torch.equal(add_snow(x, g())[0], apply_snow(x, p)) and torch.equal(add_snow(x, g())[1], snow_alpha(p)[0])


@pytest.mark.parametrize("op", [Rain(), Haze(), Snow()], ids=["rain", "haze", "snow"])
def test_weather_ops_keep_the_contract(op):
    x = _img(5)
    y, _ = check_op(op, x)
    assert y.shape == x.shape and not torch.equal(y, x) and float(y.min()) >= 0 and float(y.max()) <= 1
    assert isinstance(WEATHER_OPS[type(op).__name__.lower()](), type(op))
