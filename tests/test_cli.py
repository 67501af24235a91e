"""The command line: files, folders, naming, skipping, bad inputs, exit codes, no tracebacks."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image as PILImage

from restore.cli import main
from restore.io import read_image


@pytest.fixture
def folder(tmp_path, photo_u8) -> Path:
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    PILImage.fromarray(photo_u8).save(d / "a.png")
    PILImage.fromarray(photo_u8[:32, :40]).save(d / "b.jpg", quality=95)
    PILImage.fromarray(photo_u8[:20, :20]).save(d / "sub" / "c.png")
    (d / "notes.txt").write_text("a sidecar that is not an image")
    return d


def run(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_single_file_default_name(folder, capsys):
    code, _, err = run(["sr", "--scale", "2", "-q", folder / "a.png"], capsys)
    assert code == 0, err
    out = read_image(folder / "a_x2.png")
    assert (out.width, out.height) == (128, 96)


def test_single_file_explicit_output_and_ext(folder, tmp_path, capsys):
    dst = tmp_path / "out.webp"
    code, _, err = run(["sr", "-s", "3", "-q", folder / "b.jpg", "-o", dst, "--quality", "100"], capsys)
    assert code == 0, err
    assert read_image(dst).width == 120


def test_folder_recursive_to_output_dir_then_skip_existing(folder, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run(["sr", "--scale", "2", folder, "-r", "-o", out, "--suffix", "", "--ext", "jpg"], capsys)
    assert code == 0, err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg")) == ["a.jpg", "b.jpg", "sub/c.jpg"]
    assert "3 written" in err
    before = (out / "a.jpg").stat().st_mtime_ns
    code, _, err = run(["sr", "--scale", "2", folder, "-r", "-o", out, "--suffix", "", "--ext", "jpg",
                        "--skip-existing"], capsys)
    assert code == 0 and "3 skipped" in err
    assert (out / "a.jpg").stat().st_mtime_ns == before


def test_folder_in_place_does_not_reprocess_its_outputs(folder, capsys):
    assert run(["sr", "--scale", "2", "-q", folder], capsys)[0] == 0
    assert sorted(p.name for p in folder.glob("*_x2.png")) == ["a_x2.png", "b_x2.png"]
    assert run(["sr", "--scale", "2", "-q", folder], capsys)[0] == 0
    assert not list(folder.glob("*_x2_x2.png"))


def test_mixed_folder_reports_bad_files_and_goes_on(folder, capsys):
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (folder / "empty.jpg").write_bytes(b"")
    code, out, err = run(["sr", "--scale", "2", folder], capsys)
    assert code == 1
    assert (folder / "a_x2.png").exists() and (folder / "b_x2.png").exists()
    assert not (folder / "broken_x2.png").exists() and not (folder / "empty_x2.png").exists()
    lines = [l for l in err.splitlines() if l.startswith("error:")]
    assert len(lines) == 2 and any("broken.png" in l for l in lines) and any("empty file" in l for l in lines)
    assert "Traceback" not in err
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("args, message", [
    (["sr", "missing.png"], "no such file"),
    (["sr", "--scale", "5", "x.png"], "scale must be between 1 and 4, not 5"),
    (["sr", "--scale", "two", "x.png"], "is not a scale such as 4, 2.5 or 3x2"),
    (["sr", "--size", "big", "x.png"], "is not a size such as 1920x1080"),
    (["sr", "--tile", "abc", "x.png"], "not 'auto' or a number"),
    (["sr", "--ext", "gif", "x.png"], "is not a format we write"),
    (["sr", "--model", "nope", "x.png"], "unknown model 'nope'"),
])
def test_bad_invocations_give_one_line_errors(tmp_path, capsys, args, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(args, capsys)
    assert code != 0
    assert message in err and "Traceback" not in err


def test_never_overwrites_input_unless_asked(folder, capsys):
    src = folder / "a.png"
    before = src.read_bytes()
    code, _, err = run(["sr", "-s", "2", src, "--suffix", ""], capsys)
    assert code == 1 and "would replace the input" in err
    assert src.read_bytes() == before


def test_models_lists_metrics(capsys):
    code, out, _ = run(["models"], capsys)
    assert code == 0 and "sr-x4" in out


def test_console_script_unreadable_path_exit_code(tmp_path):
    bad = tmp_path / "locked.png"
    bad.write_bytes(b"")
    exe = shutil.which("restore")
    cmd = [exe] if exe else [sys.executable, "-m", "restore"]
    res = subprocess.run(cmd + ["sr", "-q", str(bad)], capture_output=True, text=True)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [f"error: {bad}: empty file"]


def test_two_inputs_with_one_output_name_do_not_overwrite_each_other(tmp_path, photo_u8, capsys):
    d = tmp_path / "same"
    d.mkdir()
    PILImage.fromarray(photo_u8).save(d / "a.jpg")
    PILImage.fromarray(photo_u8[:, ::-1]).save(d / "a.png")
    code, _, err = run(["sr", "-s", "2", d], capsys)
    assert code == 1 and "is also the output of" in err
    assert (d / "a_x2.png").exists()
    assert "1 written, 1 failed" in err
