from __future__ import annotations

import numpy as np
import pytest

from helpers import BENCH, EXAMPLES, ROOT  # noqa: F401  (re-exported for fixtures)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def photo_u8() -> np.ndarray:
    """A 48×64 crop of the bundled astronaut photo (real image structure, tiny)."""
    from PIL import Image

    return np.asarray(Image.open(EXAMPLES / "astronaut.png").convert("RGB"))[100:148, 200:264].copy()
