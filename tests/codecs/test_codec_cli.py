"""``restore encode`` / ``restore decode`` on files and folders, with bad inputs and damaged files."""
from __future__ import annotations

import pytest
from PIL import Image as PILImage

from restore.cli import main
from restore.codecs.container import unpack
from restore.io import read_image


@pytest.fixture
def shots(tmp_path, photo_u8):
    d = tmp_path / "shots"
    d.mkdir()
    PILImage.fromarray(photo_u8).save(d / "a.png")
    PILImage.fromarray(photo_u8[:40, :30]).save(d / "b.jpg", quality=95)
    return d


def run(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.err


def test_encode_then_decode_a_file(tiny_codec, shots, capsys):
    code, err = run(["encode", "-q", "2", shots / "a.png"], capsys)
    assert code == 0, err
    rst = shots / "a.rst"
    assert unpack(rst.read_bytes())[0].quality == 2
    code, err = run(["decode", rst], capsys)
    assert code == 0, err
    out = read_image(shots / "a_decoded.png")
    assert (out.width, out.height, out.channels) == (64, 48, 3)
    code, err = run(["decode", rst, "--region", "8,4,20,10", "-o", shots / "crop.png"], capsys)
    assert code == 0, err
    assert torch_equal(read_image(shots / "crop.png"), out, (8, 4, 20, 10))


def torch_equal(crop, full, box) -> bool:
    x, y, w, h = box
    return bool((crop.pixels == full.pixels[:, y:y + h, x:x + w]).all())


def test_folders_go_on_past_bad_files(tiny_codec, shots, tmp_path, capsys):
    (shots / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    code, err = run(["encode", shots, "-o", tmp_path / "packed", "--target-bpp", "3"], capsys)
    assert code == 1 and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "packed").iterdir()) == ["a.rst", "b.rst"]
    assert [line for line in err.splitlines() if line.startswith("error:")][0].count("broken.png") == 1
    for name, pixels in (("a.rst", 64 * 48), ("b.rst", 30 * 40)):
        h, _ = unpack((tmp_path / "packed" / name).read_bytes())
        assert h.width * h.height == pixels
        assert (tmp_path / "packed" / name).stat().st_size * 8 <= 3 * pixels or h.quality == 1
    damaged = tmp_path / "packed" / "c.rst"
    data = bytearray((tmp_path / "packed" / "a.rst").read_bytes())
    data[-5] ^= 0x10
    damaged.write_bytes(bytes(data))
    code, err = run(["decode", tmp_path / "packed", "-o", tmp_path / "back", "--quiet"], capsys)
    assert code == 1 and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "back").iterdir()) == ["a_decoded.png", "b_decoded.png"]
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "c.rst" in errors[0] and "corrupted (CRC mismatch)" in errors[0]


@pytest.mark.parametrize("args, message", [
    (["encode", "-q", "9", "{a}"], "quality must be between 1 and 3"),
    (["encode", "--tile", "100", "{a}"], "multiple of 64"),
    (["decode", "{a}"], "not a restore codec file"),
    (["decode", "--region", "1,2,3", "{rst}"], "region must be x,y,w,h"),
    (["decode", "--region", "60,0,10,10", "{rst}"], "is not inside"),
    (["encode", "-m", "nope", "{a}"], "unknown model 'nope'"),
])
def test_bad_invocations_give_one_line_errors(tiny_codec, shots, capsys, args, message):
    rst = shots / "x.rst"
    rst.write_bytes(tiny_codec.encode(read_image(shots / "a.png"), quality=1))
    args = [a.format(a=shots / "a.png", rst=rst) for a in args]
    if args[0] == "decode" and args[-1].endswith("a.png"):
        (shots / "a.rst").write_bytes(b"PK\x03\x04 a zip file")
        args[-1] = str(shots / "a.rst")
    code, err = run(args, capsys)
    assert code != 0 and message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 2
