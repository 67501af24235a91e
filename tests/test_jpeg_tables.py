"""Reading the quality a JPEG was saved at from its quantisation tables."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from restore.io import read_image
from restore.jpeg_tables import STANDARD_LUMA, jpeg_quality, quality_from_tables, scaled_table


def _jpeg(arr: np.ndarray, **save) -> bytes:
    buf = io.BytesIO()
    PILImage.fromarray(arr).save(buf, "JPEG", **save)
    return buf.getvalue()


@pytest.mark.parametrize("subsampling", [0, 2])
def test_every_libjpeg_quality_is_read_back_exactly(rng, subsampling):
    arr = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    for q in range(1, 101):
        assert jpeg_quality(_jpeg(arr, quality=q, subsampling=subsampling)) == q


def test_gray_files_tables_of_other_encoders_and_non_jpegs(rng, tmp_path):
    gray = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    assert jpeg_quality(_jpeg(gray, quality=23)) == 23                # one (luma) table only
    # an encoder with tables of its own: the libjpeg q50 table with every entry 10 % larger → near q45
    own = {0: [min(255, round(v * 1.1)) for v in scaled_table(STANDARD_LUMA, 50)]}
    assert 42 <= quality_from_tables(own) <= 48
    assert quality_from_tables({}) is None
    png = tmp_path / "a.png"
    PILImage.fromarray(gray).save(png)
    assert jpeg_quality(png) is None and jpeg_quality(b"not an image") is None


def test_read_image_records_the_quality_of_jpeg_files_only(rng, tmp_path):
    arr = rng.integers(0, 256, (16, 24, 3), dtype=np.uint8)
    (tmp_path / "a.jpg").write_bytes(_jpeg(arr, quality=37))
    PILImage.fromarray(arr).save(tmp_path / "a.png")
    assert read_image(tmp_path / "a.jpg").meta["jpeg_quality"] == 37
    assert "jpeg_quality" not in read_image(tmp_path / "a.png").meta
