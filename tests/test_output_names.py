"""What ``-o`` names, for every command that has one (issue 28, item 4).

With one input, an ``-o`` whose name has an extension is a FILE: an extension no writer knows is a one-line
usage error before any work (nothing is created); ``encode`` writes its container under any name. A folder is
made only for a name without an extension, one ending in a path separator, or an existing folder.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from helpers import ROOT
from restore.cli import main
from restore.codecs.container import unpack
from restore.formats import WRITE_EXTS
from restore.io import read_image

KNOWN = ", ".join(sorted(e.lstrip(".") for e in WRITE_EXTS))   # bmp, jpeg, jpg, png, tif, tiff, webp
SIDE = 16                                                       # every input is 16×16

# command → (arguments before the input, the default output name of input photo.png / mosaic.png / f0.png)
IMAGE_COMMANDS = {
    "sr": (["sr", "-s", "2"], "photo_x2.png", 2 * SIDE),
    "denoise": (["denoise"], "photo_denoised.png", SIDE),
    "demosaic": (["demosaic"], "mosaic_rgb.png", SIDE),
    "derain": (["derain"], "photo_derained.png", SIDE),
    "dehaze": (["dehaze"], "photo_dehazed.png", SIDE),
    "desnow": (["desnow"], "photo_desnowed.png", SIDE),
    "deweather": (["deweather"], "photo_clear.png", SIDE),
    "dereflect": (["dereflect"], "photo_dereflected.png", SIDE),
    "burst": (["burst"], "f0_burst.png", SIDE),
}


def run(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.err


def tree(root: Path) -> list[str]:
    """Everything under ``root`` (files and folders), to see that a refused command created nothing."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def inputs(tmp_path, photo_u8) -> dict:
    """16×16 inputs in tmp_path/in: a colour photo, a Bayer mosaic, two burst frames, a (fake) .rst."""
    d = tmp_path / "in"
    d.mkdir()
    crop = photo_u8[8:8 + SIDE, 8:8 + SIDE]
    PILImage.fromarray(crop).save(d / "photo.png")
    PILImage.fromarray(crop[..., 1]).save(d / "mosaic.png")
    PILImage.fromarray(crop).save(d / "f0.png")
    PILImage.fromarray(np.roll(crop, 1, axis=1)).save(d / "f1.png")
    (d / "x.rst").write_bytes(b"not decoded: -o is checked first")
    return {"photo": d / "photo.png", "mosaic": d / "mosaic.png", "frames": [d / "f0.png", d / "f1.png"],
            "rst": d / "x.rst"}


def sources(name: str, inputs: dict) -> list[Path]:
    if name == "burst":
        return inputs["frames"]
    if name == "demosaic":
        return [inputs["mosaic"]]
    if name == "decode":
        return [inputs["rst"]]
    return [inputs["photo"]]


def command_args(name: str, inputs: dict) -> list:
    prefix = IMAGE_COMMANDS[name][0] if name in IMAGE_COMMANDS else [name]
    return [*prefix, "-q" if name != "encode" else "--quiet", *sources(name, inputs)]


# ---------------------------------------------------------------------------------------------------------------
# an extension no writer knows: one line, exit 2, nothing created, before any model is loaded


@pytest.mark.parametrize("name", [*IMAGE_COMMANDS, "decode"])
@pytest.mark.parametrize("out_name", ["out.jpeg2", "sub/out.gif"])
def test_unknown_extension_is_a_one_line_error_and_creates_nothing(name, out_name, inputs, tmp_path, capsys,
                                                                   monkeypatch):
    # no models at all: a command that loaded one before checking -o would fail with another message
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(tmp_path / "no-weights"))
    before = tree(tmp_path)
    dst = tmp_path / out_name
    code, err = run([*command_args(name, inputs), "-o", dst], capsys)
    assert code == 2, err
    ext = Path(out_name).suffix
    assert err.splitlines() == [f"error: -o {dst}: {ext!r} is not a format we write; use one of {KNOWN}"]
    assert tree(tmp_path) == before                 # no out.jpeg2/ folder, no sub/, no output file


def test_the_error_lists_the_real_write_extensions():
    assert KNOWN == "bmp, jpeg, jpg, png, tif, tiff, webp"


# ---------------------------------------------------------------------------------------------------------------
# a known extension with one input: a file at exactly that path


@pytest.mark.parametrize("name", IMAGE_COMMANDS)
def test_known_extension_writes_that_file(name, inputs, tmp_path, capsys):
    dst = tmp_path / "new" / "result.JPEG"           # a folder that does not exist yet; the case of the extension
    code, err = run([*command_args(name, inputs), "-o", dst], capsys)
    assert code == 0, err
    assert dst.is_file()
    out = read_image(dst)
    side = IMAGE_COMMANDS[name][2]
    assert (out.width, out.height, out.channels) == (side, side, 3)
    assert PILImage.open(dst).format == "JPEG"
    assert sorted(p.name for p in dst.parent.iterdir()) == [dst.name]
    code, err = run([*command_args(name, inputs), "-o", tmp_path / "plain.png"], capsys)
    assert code == 0, err
    assert PILImage.open(tmp_path / "plain.png").format == "PNG"


# ---------------------------------------------------------------------------------------------------------------
# no extension, a trailing separator, an existing folder: a folder with the default name inside


@pytest.mark.parametrize("name", IMAGE_COMMANDS)
def test_name_without_extension_is_a_folder(name, inputs, tmp_path, capsys):
    folder = tmp_path / "results"
    code, err = run([*command_args(name, inputs), "-o", folder], capsys)
    assert code == 0, err
    default = IMAGE_COMMANDS[name][1]
    assert folder.is_dir() and sorted(p.name for p in folder.iterdir()) == [default]
    side = IMAGE_COMMANDS[name][2]
    assert (read_image(folder / default).width, read_image(folder / default).height) == (side, side)


@pytest.mark.parametrize("name", ["sr", "burst"])
def test_trailing_separator_or_existing_folder_wins_over_an_extension(name, inputs, tmp_path, capsys):
    default = IMAGE_COMMANDS[name][1]
    code, err = run([*command_args(name, inputs), "-o", f"{tmp_path / 'made.png'}/"], capsys)
    assert code == 0, err
    assert (tmp_path / "made.png").is_dir() and (tmp_path / "made.png" / default).is_file()
    (tmp_path / "v1.0").mkdir()
    code, err = run([*command_args(name, inputs), "-o", tmp_path / "v1.0"], capsys)
    assert code == 0, err
    assert [p.name for p in (tmp_path / "v1.0").iterdir()] == [default]


def test_a_folder_name_that_is_a_file_is_refused(inputs, tmp_path, capsys):
    (tmp_path / "results").write_text("a file without an extension")
    code, err = run(["sr", "-s", "2", inputs["photo"], "-o", tmp_path / "results"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "is a file" in err
    assert (tmp_path / "results").read_text() == "a file without an extension"


# ---------------------------------------------------------------------------------------------------------------
# several inputs, or a folder input: -o must be a folder


@pytest.mark.parametrize("many", ["two files", "a folder"])
@pytest.mark.parametrize("out_name", ["out.png", "out.jpeg2"])
def test_several_inputs_refuse_a_file_name(many, out_name, inputs, tmp_path, capsys):
    srcs = [inputs["photo"], inputs["frames"][0]] if many == "two files" else [inputs["photo"].parent]
    before = tree(tmp_path)
    code, err = run(["denoise", "-q", *srcs, "-o", tmp_path / out_name], capsys)
    assert code == 2
    assert err.splitlines() == [f"error: -o {tmp_path / out_name}: several inputs need an output folder, and this "
                                f"names a file (give a folder name without an extension, or end it with /)"]
    assert tree(tmp_path) == before


def test_several_inputs_into_a_folder(inputs, tmp_path, capsys):
    code, err = run(["sr", "-s", "2", "-q", inputs["photo"], inputs["frames"][0], "-o", tmp_path / "both"], capsys)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "both").iterdir()) == ["f0_x2.png", "photo_x2.png"]


# ---------------------------------------------------------------------------------------------------------------
# the codec: encode writes its container under any name; decode writes images


def _tiny_codec_module():
    spec = importlib.util.spec_from_file_location("tinycodec", ROOT / "tests" / "codecs" / "tinycodec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def codec_weights(tmp_path_factory) -> Path:
    """The codec tests' tiny codec (tests/codecs/tinycodec.py), trained for 2 steps: enough to code and decode."""
    root = tmp_path_factory.mktemp("weights")
    _tiny_codec_module().make_tiny_codec(root, model_id="codec-tiny-names", steps=2)
    return root


@pytest.fixture
def codec(codec_weights, monkeypatch):
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(codec_weights))


def test_encode_writes_the_container_under_any_file_name(codec, inputs, tmp_path, capsys):
    packed = tmp_path / "photo.bin"
    code, err = run(["encode", "-q", "2", "--quiet", inputs["photo"], "-o", packed], capsys)
    assert code == 0, err
    assert packed.is_file() and unpack(packed.read_bytes())[0].quality == 2
    code, err = run(["decode", "-q", packed, "-o", tmp_path / "back.webp"], capsys)
    assert code == 0, err
    back = read_image(tmp_path / "back.webp")
    assert (back.width, back.height) == (SIDE, SIDE)
    assert PILImage.open(tmp_path / "back.webp").format == "WEBP"
    code, err = run(["decode", "-q", packed, "-o", tmp_path / "decoded"], capsys)
    assert code == 0, err
    assert [p.name for p in (tmp_path / "decoded").iterdir()] == ["photo_decoded.png"]
    code, err = run(["encode", "-q", "2", "--quiet", inputs["photo"], "-o", tmp_path / "packed"], capsys)
    assert code == 0, err
    assert [p.name for p in (tmp_path / "packed").iterdir()] == ["photo.rst"]
    code, err = run(["decode", "-q", tmp_path / "packed" / "photo.rst", "-o", tmp_path / "x.jpeg2"], capsys)
    assert code == 2 and err.splitlines() == [f"error: -o {tmp_path / 'x.jpeg2'}: '.jpeg2' is not a format we "
                                              f"write; use one of {KNOWN}"]
    assert not (tmp_path / "x.jpeg2").exists()


def test_encode_several_inputs_refuse_a_file_name(inputs, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(tmp_path / "no-weights"))
    before = tree(tmp_path)
    code, err = run(["encode", "--quiet", *inputs["frames"], "-o", tmp_path / "both.bin"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "several inputs need an output folder" in err
    assert tree(tmp_path) == before


# ---------------------------------------------------------------------------------------------------------------
# export has no -o: --onnx always names a file, and a folder is refused


def test_export_refuses_a_folder_for_onnx(tmp_path, capsys):
    (tmp_path / "graphs").mkdir()
    code, err = run(["export", "sr-x2", "--onnx", tmp_path / "graphs"], capsys)
    assert code == 2 and "is a directory" in err and "Traceback" not in err
    assert list((tmp_path / "graphs").iterdir()) == []
