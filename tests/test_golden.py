"""Each default model's output on its fixed input equals the committed one within one 8-bit level (fp32)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as P

from golden import GOLDEN, cases, to_u8

CASES = cases()


def test_every_case_has_its_committed_output():
    assert sorted(p.stem for p in GOLDEN.glob("*.png")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_default_model_output_is_unchanged(name):
    want = np.asarray(P.open(GOLDEN / f"{name}.png")).astype(int)
    got = to_u8(CASES[name]()).astype(int)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1, f"{name}: {np.count_nonzero(got != want)} pixels differ"
