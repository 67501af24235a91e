"""``restore train codec``: a short run exports baked weights that encode and decode, then continues."""
from __future__ import annotations

import pytest

from restore.cli import main
from restore.weights import Manifest


def test_train_codec_exports_working_weights_and_continues(tmp_path, monkeypatch, capsys):
    from helpers import train_folder

    data, src = train_folder(tmp_path, 8, 160, 192)
    wdir = tmp_path / "weights"
    args = ["train", "codec", "--minutes", "0.1", "--id", "codec-test", "--channels", "16", "--latent", "32",
            "--batch", "2", "--patch", "64", "--lambda", "0.004,0.02,0.1", "--data", data, "--weights-dir", wdir,
            "--ckpt", tmp_path / "run.pt", "--precision", "fp32"]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve("codec")
    assert entry.id == "codec-test" and entry.task == "codec" and entry.kwargs["lambdas"] == [0.004, 0.02, 0.1]
    t1 = entry.training
    assert t1["steps"] >= 1 and "val_q1_bpp" in t1["validation"]      # a wall-clock budget: few steps under load
    assert t1["recipe"]["fitted_tables"] == {"crops": 7, "qualities": 3, "symbols": 7 * 3 * 32 * 8 * 12}
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))
    from restore.api import decode, encode

    photo = src[:70, :90]
    out = decode(encode(photo, quality=2))            # the baked tables ship with the weights
    assert out.to_array().shape == photo.shape
    (tmp_path / "run.pt").unlink()
    # continue with a re-targeted ladder (a lower λ for quality 1); the architecture stays the prior's
    args2 = [a for a in args if a not in ("--channels", "16")] + ["--init", "codec-test"]
    args2[args2.index("0.004,0.02,0.1")] = "0.002,0.02,0.1"
    assert main([str(a) for a in args2 + ["--level-weights", "0,1,2"]]) == 0
    entry2 = Manifest(wdir).resolve("codec-test")[0]
    t2 = entry2.training
    assert t2["runs"] == 2 and t2["steps"] > t1["steps"]
    assert entry2.kwargs["lambdas"] == [0.002, 0.02, 0.1] and entry2.kwargs["channels"] == 16
    assert t2["recipe"]["channels"] == 16 and t2["recipe"]["level_weights"] == [0, 1, 2]
    for weights, message in (("1,2", "level weights must be 3 non-negative numbers"),
                             ("1,-1,1", "level weights must be 3 non-negative numbers"),
                             ("1,a,1", "--level-weights must be comma-separated numbers")):
        assert main([str(a) for a in args2 + ["--level-weights", weights]]) != 0
        assert message in capsys.readouterr().err
    bad = args2[:]
    bad[bad.index("0.002,0.02,0.1")] = "0.002,0.02"
    assert main([str(a) for a in bad]) != 0
    assert "new levels must extend the model's ladder 0.002,0.02,0.1" in capsys.readouterr().err
    bad[bad.index("0.002,0.02")] = "0.002,x"
    assert main([str(a) for a in bad]) != 0
    assert "--lambda must be comma-separated numbers" in capsys.readouterr().err
    # widen the latent of the trained model: one more slice, same architecture otherwise
    args3 = [str(a) for a in args2 if a != "32"]
    args3[args3.index("--latent") + 1:args3.index("--latent") + 1] = ["48"]
    assert main(args3) != 0            # the checkpoint of the previous run no longer fits
    assert "is for a different architecture; pass a new --ckpt" in capsys.readouterr().err
    args3[args3.index(str(tmp_path / "run.pt"))] = str(tmp_path / "grown.pt")
    assert main(args3) == 0, capsys.readouterr().err
    entry3 = Manifest(wdir).resolve("codec-test")[0]
    assert entry3.kwargs["latent"] == 48 and entry3.kwargs["slices"] == [4, 4, 8, 16, 16]
    assert entry3.training["runs"] == 3 and entry3.training["steps"] > t2["steps"]
    assert entry3.training["recipe"]["widened"] == f"latent 32 → 48 after {t2['steps']} steps of codec-test"
    assert decode(encode(photo, quality=2)).to_array().shape == photo.shape
    args3[args3.index("48")] = "40"
    assert main(args3) != 0
    assert "can only widen the latent (it has 48 channels, asked for 40)" in capsys.readouterr().err
    # widen the transforms' hidden channels too (latent stays 48)
    args4 = [a for a in args3 if a not in ("--latent", "40")] + ["--channels", "24"]
    args4[args4.index(str(tmp_path / "grown.pt"))] = str(tmp_path / "wide.pt")
    assert main(args4) == 0, capsys.readouterr().err
    entry4 = Manifest(wdir).resolve("codec-test")[0]
    assert entry4.kwargs["channels"] == 24 and entry4.kwargs["latent"] == 48
    assert entry4.training["recipe"]["widened"] == f"channels 16 → 24 after {entry3.training['steps']} steps of codec-test"
    assert decode(encode(photo, quality=2)).to_array().shape == photo.shape
    # deepen the transforms with residual bodies that start as the identity
    # (at 1/8 and at 1/4 resolution, both in one run)
    args5 = [a for a in args4 if a not in ("--channels", "24")] + ["--res-blocks", "1", "--fine-blocks", "2"]
    args5[args5.index(str(tmp_path / "wide.pt"))] = str(tmp_path / "deep.pt")
    assert main(args5) == 0, capsys.readouterr().err
    entry5 = Manifest(wdir).resolve("codec-test")[0]
    assert entry5.kwargs["res_blocks"] == 1 and entry5.kwargs["fine_blocks"] == 2 and entry5.kwargs["channels"] == 24
    assert entry5.training["recipe"]["widened"] == \
        f"residual blocks 0 → 1, fine residual blocks 0 → 2 after {entry4.training['steps']} steps of codec-test"
    assert decode(encode(photo, quality=2)).to_array().shape == photo.shape
    # a level below quality 1 (quality 0): the old qualities keep their numbers
    args6 = args5[:-4]           # without --res-blocks 1 --fine-blocks 2: the model has them now
    args6[args6.index("0.002,0.02,0.1")] = "0.0005,0.002,0.02,0.1"
    args6[args6.index(str(tmp_path / "deep.pt"))] = str(tmp_path / "levels.pt")
    assert main(args6) == 0, capsys.readouterr().err
    entry6 = Manifest(wdir).resolve("codec-test")[0]
    assert entry6.kwargs["first_quality"] == 0 and entry6.kwargs["lambdas"] == [0.0005, 0.002, 0.02, 0.1]
    assert entry6.training["recipe"]["widened"] == \
        f"quality levels 0.002,0.02,0.1 → 0.0005,0.002,0.02,0.1 after {entry5.training['steps']} steps of codec-test"
    assert {"val_q0_bpp", "val_q1_bpp", "val_q3_bpp"} <= set(entry6.training["validation"])
    assert decode(encode(photo, quality=0)).to_array().shape == photo.shape
    with pytest.raises(ValueError, match="quality must be between 0 and 3, not -0.5"):
        encode(photo, quality=-0.5)


def test_train_codec_tables_refits_the_tables_of_the_same_network(tmp_path, monkeypatch, capsys):
    from helpers import train_folder
    from tinycodec import make_tiny_codec

    from restore.api import load

    data, src = train_folder(tmp_path, 6, 128, 192)
    wdir = tmp_path / "weights"
    make_tiny_codec(wdir, steps=10)
    args = ["train", "codec-tables", "--init", "codec-tiny", "--id", "codec-tiny-t", "--table-images", "4",
            "--data", data, "--weights-dir", wdir]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    m = Manifest(wdir)
    old, new = m.resolve("codec-tiny")[0], m.resolve("codec")[0]
    assert new.id == "codec-tiny-t" and old.aliases == [] and new.kwargs == old.kwargs
    assert new.sha256 != old.sha256 and new.metrics == {}
    assert new.training["recipe"] == {"fitted_tables": {"crops": 4, "qualities": 3, "symbols": 4 * 3 * 32 * 8 * 12},
                                      "tables_from": "codec-tiny"}
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))
    a, b = load("codec-tiny", precision="fp32"), load("codec-tiny-t", precision="fp32")
    sa, sb = a.net.state_dict(), b.net.state_dict()
    changed = {k for k in sa if not (sa[k].shape == sb[k].shape and bool((sa[k] == sb[k]).all()))}
    assert changed == {"context.gaussian.table.cdf"}            # only the Gaussian tables
    from restore.io import Image

    img = Image.from_array(src[:64, :128])
    fa, fb = a.encode(img, quality=2), b.encode(img, quality=2)
    assert fa != fb and b.decode(fb).pixels.equal(a.decode(fa).pixels)
    assert main([str(a) for a in args[:-4] + ["--table-images", "0", "--data", data, "--weights-dir", wdir]]) != 0
    assert "--table-images must be positive" in capsys.readouterr().err
