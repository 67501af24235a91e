from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps

from restore.io import Image, ImageError, apply_orientation, read_image, write_image


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_with(orientation: int, make: str = "RestoreCam") -> bytes:
    ex = PILImage.Exif()
    ex[0x0112] = orientation
    ex[0x010F] = make
    return ex.tobytes()


@pytest.mark.parametrize("ext", [".png", ".tif", ".webp", ".bmp"])
def test_rgb8_lossless_roundtrip(tmp_path, photo_u8, ext):
    p = tmp_path / f"a{ext}"
    write_image(Image.from_array(photo_u8), p, quality=100)
    back = read_image(p)
    assert back.bit_depth == 8 and back.channels == 3 and back.alpha is None
    assert np.array_equal(back.to_array(), photo_u8)


def test_jpeg_roundtrip_is_close(tmp_path, photo_u8):
    p = tmp_path / "a.jpg"
    write_image(Image.from_array(photo_u8), p, quality=95)
    back = read_image(p).to_array().astype(int)
    assert np.abs(back - photo_u8).mean() < 3


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_16bit_roundtrip_keeps_every_value(tmp_path, rng, ext, channels):
    arr = rng.integers(0, 65536, size=(7, 9, channels), dtype=np.uint16)
    p = tmp_path / f"d{ext}"
    write_image(Image.from_array(arr), p)
    back = read_image(p)
    assert back.bit_depth == 16
    assert (back.alpha is not None) == (channels == 4)
    assert np.array_equal(back.to_array(), arr)


def test_16bit_png_from_other_tools_reads_as_16bit(tmp_path, rng):
    import cv2

    arr = rng.integers(0, 65536, size=(5, 6, 3), dtype=np.uint16)
    cv2.imwrite(str(tmp_path / "c.png"), arr[:, :, ::-1])
    back = read_image(tmp_path / "c.png")
    assert back.bit_depth == 16 and np.array_equal(back.to_array(), arr)


@pytest.mark.parametrize("ext", [".png", ".webp", ".tif"])
def test_rgba_alpha_roundtrip(tmp_path, photo_u8, rng, ext):
    alpha = rng.integers(0, 256, size=photo_u8.shape[:2] + (1,), dtype=np.uint8)
    arr = np.concatenate([photo_u8, alpha], axis=2)
    p = tmp_path / f"a{ext}"
    write_image(Image.from_array(arr), p, quality=100)
    back = read_image(p)
    assert back.alpha is not None and back.channels == 3
    assert np.array_equal(back.to_array(), arr)


def test_gray_and_gray_alpha(tmp_path, photo_u8):
    g = photo_u8[:, :, 1]
    write_image(Image.from_array(g), tmp_path / "g.png")
    back = read_image(tmp_path / "g.png")
    assert back.channels == 1 and np.array_equal(back.to_array()[:, :, 0], g)
    PILImage.fromarray(np.stack([g, 255 - g], 2), "LA").save(tmp_path / "la.png")
    la = read_image(tmp_path / "la.png")
    assert la.channels == 1 and la.alpha is not None
    assert np.array_equal(la.to_array()[:, :, 1], 255 - g)


def test_palette_with_transparency_becomes_rgba(tmp_path):
    im = PILImage.new("P", (4, 3))
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.putpixel((1, 1), 1)
    im.info["transparency"] = 0
    im.save(tmp_path / "p.png", transparency=0)
    back = read_image(tmp_path / "p.png")
    arr = back.to_array()
    assert back.alpha is not None
    assert tuple(arr[1, 1]) == (0, 255, 0, 255)
    assert tuple(arr[0, 0]) == (255, 0, 0, 0)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".webp", ".tif"])
def test_icc_profile_survives(tmp_path, photo_u8, ext):
    img = Image.from_array(photo_u8)
    img.icc = srgb_icc()
    p = tmp_path / f"i{ext}"
    write_image(img, p)
    assert read_image(p).icc == img.icc


def test_icc_survives_16bit_png(tmp_path, rng):
    img = Image.from_array(rng.integers(0, 65536, size=(4, 4, 3), dtype=np.uint16))
    img.icc = srgb_icc()
    write_image(img, tmp_path / "i16.png")
    with PILImage.open(tmp_path / "i16.png") as im:
        assert im.info.get("icc_profile") == img.icc
    assert read_image(tmp_path / "i16.png").icc == img.icc


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied_on_read_and_reset_on_write(tmp_path, photo_u8, orientation):
    src = tmp_path / "o.jpg"
    PILImage.fromarray(photo_u8).save(src, exif=exif_with(orientation), quality=100, subsampling=0)
    with PILImage.open(src) as im:
        expected = np.asarray(ImageOps.exif_transpose(im))
    img = read_image(src)
    assert img.to_array().shape == expected.shape
    assert np.array_equal(img.to_array(), expected)
    out = tmp_path / "o.png"
    write_image(img, out)
    with PILImage.open(out) as im:
        ex = im.getexif()
        assert ex.get(0x0112) == 1
        assert ex.get(0x010F) == "RestoreCam"    # the rest of the EXIF is kept


def test_apply_orientation_matches_pil_on_nonsquare(rng):
    arr = rng.integers(0, 256, size=(3, 5, 3), dtype=np.uint8)
    methods = {2: PILImage.Transpose.FLIP_LEFT_RIGHT, 3: PILImage.Transpose.ROTATE_180,
               4: PILImage.Transpose.FLIP_TOP_BOTTOM, 5: PILImage.Transpose.TRANSPOSE,
               6: PILImage.Transpose.ROTATE_270, 7: PILImage.Transpose.TRANSVERSE, 8: PILImage.Transpose.ROTATE_90}
    for o, m in methods.items():
        assert np.array_equal(apply_orientation(arr, o), np.asarray(PILImage.fromarray(arr).transpose(m)))


def test_from_array_float_and_to_array():
    img = Image.from_array(np.full((2, 3, 3), 0.5, np.float32))
    assert img.bit_depth == 8 and tuple(img.pixels.shape) == (3, 2, 3)
    assert img.to_array().dtype == np.uint8 and img.to_array()[0, 0, 0] == 128


def test_bad_inputs_raise_one_line_errors(tmp_path, photo_u8):
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image at all")
    buf = io.BytesIO()
    PILImage.fromarray(photo_u8).save(buf, format="PNG")
    (tmp_path / "trunc.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    cases = {"empty.png": "empty file", "notes.png": "not a readable image", "trunc.png": "not a readable image",
             "missing.png": "no such file"}
    for name, text in cases.items():
        with pytest.raises(ImageError) as e:
            read_image(tmp_path / name)
        assert text in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ImageError, match="is a directory"):
        read_image(tmp_path)


def test_write_is_atomic_and_refuses_unknown_format(tmp_path, photo_u8, monkeypatch):
    img = Image.from_array(photo_u8)
    with pytest.raises(ImageError, match="unsupported output format"):
        write_image(img, tmp_path / "x.gifx")
    with pytest.raises(ImageError, match="JPEG cannot store an alpha"):
        write_image(Image.from_array(np.zeros((4, 4, 4), np.uint8)), tmp_path / "a.jpg")
    # an encoder failure leaves no partial file behind and the old file untouched
    target = tmp_path / "keep.png"
    target.write_bytes(b"old contents")
    import restore.io as rio

    real_replace = rio.os.replace

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rio.os, "replace", boom)
    with pytest.raises(ImageError, match="No space left"):
        write_image(img, target)
    monkeypatch.setattr(rio.os, "replace", real_replace)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png"]


def test_written_files_get_ordinary_permissions(tmp_path, photo_u8):
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    p = tmp_path / "perm.png"
    write_image(Image.from_array(photo_u8), p)
    assert p.stat().st_mode & 0o777 == 0o666 & ~mask
    os.chmod(p, 0o640)
    write_image(Image.from_array(photo_u8), p)       # replacing keeps the file's own mode
    assert p.stat().st_mode & 0o777 == 0o640


def test_cmyk_jpeg_becomes_rgb(tmp_path, photo_u8):
    PILImage.fromarray(photo_u8).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    img = read_image(tmp_path / "c.jpg")
    assert img.channels == 3 and img.icc is None
    assert np.abs(img.to_array().astype(int) - photo_u8).mean() < 8


def test_8bit_tiff_palette_and_gray_via_pil(tmp_path, photo_u8):
    PILImage.fromarray(photo_u8).convert("P").save(tmp_path / "p.tif")
    with PILImage.open(tmp_path / "p.tif") as im:
        expected = np.asarray(im.convert("RGB"))
    assert np.array_equal(read_image(tmp_path / "p.tif").to_array(), expected)
    PILImage.fromarray(photo_u8[:, :, 0]).save(tmp_path / "g.tif")
    g = read_image(tmp_path / "g.tif")
    assert g.channels == 1 and np.array_equal(g.to_array()[:, :, 0], photo_u8[:, :, 0])


def test_truncated_16bit_tiff_is_an_error(tmp_path, rng):
    arr = rng.integers(0, 65536, size=(64, 64, 3), dtype=np.uint16)
    write_image(Image.from_array(arr), tmp_path / "t.tif")
    data = (tmp_path / "t.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 3])
    with pytest.raises(ImageError, match="not a readable image"):
        read_image(tmp_path / "cut.tif")
