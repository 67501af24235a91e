"""The denoising network and task: noise-level maps, blind estimation, identity at init, exact tiling."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restore.io import Image
from restore.tasks.denoise import DenoiseModel
from restore.archs.denoisenet import DenoiseNet, sigma_map


def _net(seed: int = 0, trained_tail: bool = True) -> DenoiseNet:
    torch.manual_seed(seed)
    net = DenoiseNet(body="res", body_kwargs={"channels": 8, "blocks": 2}, estimator_channels=8)
    if trained_tail:                        # random tail weights, so the output depends on every input
        torch.nn.init.normal_(net.tail.weight, std=0.05)
    return net.eval()


def _register_tiny_denoiser(root, monkeypatch) -> None:
    """Install :func:`_net` as the ``denoise`` model in a scratch weights folder and point the API at it."""
    from restore.weights import Manifest, ModelEntry, save_state

    net = _net()
    digest = save_state(net, root / "dn.safetensors")
    Manifest(root).upsert(ModelEntry(id="denoisenet-test", task="denoise", arch="denoisenet", kwargs=net.arch_spec[1],
                                     file="dn.safetensors", sha256=digest, aliases=["denoise"]))
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(root))


def test_sigma_map_forms():
    x = torch.zeros(2, 3, 4, 6)
    assert torch.equal(sigma_map(25.5, x), torch.full((2, 1, 4, 6), 0.1))
    assert torch.allclose(sigma_map(torch.tensor([0.0, 51.0]), x)[:, 0, 0, 0], torch.tensor([0.0, 0.2]))
    m = torch.rand(2, 1, 4, 6)
    assert torch.equal(sigma_map(m * 255, x), (m * 255) / 255)


def test_untrained_network_is_the_identity_and_sigma_matters_once_trained(photo_u8):
    x = torch.from_numpy(photo_u8).permute(2, 0, 1)[None].float() / 255
    out, level = _net(trained_tail=False)(x, 25.0)
    assert torch.equal(out, x) and torch.allclose(level, torch.full_like(level, 25 / 255))
    net = _net()
    a, _ = net(x, 10.0)
    b, _ = net(x, 50.0)
    blind, est = net(x)
    assert not torch.equal(a, b) and est.shape == (1, 1, 48, 64) and bool((est >= 0).all())


def test_task_tiles_exactly_keeps_gray_alpha_and_16_bit(rng):
    model = DenoiseModel(_net(), precision="fp32")
    arr = rng.integers(0, 65536, (37, 50, 2), dtype=np.uint16)          # odd sizes, gray + alpha, 16-bit
    img = Image.from_array(arr)
    whole = model(img, sigma=30, tile=256)
    tiled = model(img, sigma=30, tile=16)
    assert (whole.channels, whole.bit_depth, whole.height, whole.width) == (1, 16, 37, 50)
    assert torch.allclose(whole.pixels, tiled.pixels, atol=1e-5)       # tiles see the same 2×2 grid
    assert torch.equal(whole.alpha, img.alpha)
    blind_whole, blind_tiled = model(img, tile=256), model(img, tile=16)
    assert torch.allclose(blind_whole.pixels, blind_tiled.pixels, atol=1e-5)
    with pytest.raises(ValueError, match="sigma must be between 0 and 75"):
        model(img, sigma=80)


def test_train_denoise_exports_a_loadable_model(tmp_path, monkeypatch, capsys):
    from helpers import train_folder
    from restore.cli import main
    from restore.weights import Manifest

    data, src = train_folder(tmp_path, 6, 120, 150, step=(30, 40))
    wdir = tmp_path / "weights"
    args = ["train", "denoise", "--minutes", "0.05", "--id", "denoise-test", "--channels", "8", "--blocks", "1",
            "--batch", "4", "--patch", "32", "--data", data, "--weights-dir", wdir, "--ckpt", tmp_path / "r.pt",
            "--precision", "fp32", "--camera", "isp", "--camera-fraction", "0.5"]
    assert main([str(a) for a in args]) == 0, capsys.readouterr().err
    entry, _ = Manifest(wdir).resolve("denoise-real")       # the isp camera noise trains the camera-noise model
    v = entry.training["validation"]
    assert entry.task == "denoise" and {"val_s15", "val_s25", "val_s50", "val_blind_s25", "val_camera"} <= set(v)
    assert v["val_s15"] > v["val_s50"]                  # less noise, higher PSNR, even barely trained
    assert entry.notes.startswith("Camera-noise model")
    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(wdir))
    from restore.api import load

    out = load("denoise-real")(Image.from_array(src[:40, :30]), sigma=20)
    assert (out.width, out.height) == (30, 40)


def test_training_noise_is_seeded_and_its_level_map_is_right():
    from restore.recipes.denoise import DenoiseRecipe, add_training_noise

    clean = torch.rand(16, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    recipe = DenoiseRecipe(camera_fraction=0.25)
    a, la = add_training_noise(clean, recipe, torch.Generator().manual_seed(1))
    b, lb = add_training_noise(clean, recipe, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and torch.equal(la, lb) and la.shape == (16, 1, 32, 32)
    clipped = [bool(((a[i] >= 0) & (a[i] <= 1)).all()) for i in range(16)]
    assert any(clipped) and not all(clipped)              # files are clipped, the papers' inputs are not
    for i in range(16):
        if not clipped[i]:     # clipping shrinks the measured noise, so compare the unclipped samples
            measured = float((a[i] - clean[i]).std()) * 255
            assert measured == pytest.approx(float(la[i].mean()), rel=0.1, abs=0.5)


def test_isp_samples_are_trained_towards_the_cameras_own_rendering():
    """With ``camera="isp"`` the target of a camera sample is the same ISP's noiseless output, not the crop, and
    the level map measures the noise against that target."""
    from restore.degrade.isp import clean_render
    from restore.recipes.denoise import DenoiseRecipe, add_training_noise, gray_pipeline, noise_pipeline

    crops = torch.rand(4, 3, 24, 24, generator=torch.Generator().manual_seed(0))
    recipe = DenoiseRecipe(camera="isp", camera_fraction=1.0, gray_fraction=0.0)
    target = crops.clone()
    noisy, level = add_training_noise(target, recipe, torch.Generator().manual_seed(3))
    gen = torch.Generator().manual_seed(3)                  # replay the same draws
    gray, noise = gray_pipeline(recipe), noise_pipeline(recipe)
    for i in range(4):
        y, p = noise.run(gray(crops[i], gen), gen)
        isp = next(q for _, q in noise.ran(p) if hasattr(q, "demosaic"))
        assert torch.equal(y, noisy[i]) and torch.equal(target[i], clean_render(crops[i], isp))
        assert not torch.equal(target[i], crops[i])
        rms = float((noisy[i] - target[i]).pow(2).mean(0).sqrt().mean()) * 255
        assert float(level[i].mean()) == pytest.approx(rms, rel=0.35)


def test_blind_denoising_runs_the_camera_model_and_a_given_sigma_the_gaussian_one(tmp_path, monkeypatch, photo_u8,
                                                                                capsys):
    """Photos carry camera noise, so blind ``restore denoise`` runs ``denoise-real``; ``--sigma`` (a known,
    Gaussian-like level) the Gaussian ``denoise``; without a camera model installed, blind falls back to it."""
    from PIL import Image as PILImage

    import restore
    from restore.cli import main
    from restore.io import read_image
    from restore.tasks.denoise import default_denoiser

    from helpers import install_model

    _register_tiny_denoiser(tmp_path, monkeypatch)
    assert default_denoiser(None) == default_denoiser(15.0) == "denoise"
    gaussian_blind = restore.denoise(photo_u8)
    install_model(tmp_path, _net(seed=1), "denoisenet-real-test", "denoise", ["denoise-real"])
    assert (default_denoiser(None), default_denoiser(15.0)) == ("denoise-real", "denoise")
    src = tmp_path / "in.png"
    PILImage.fromarray(photo_u8).save(src)
    assert main(["denoise", "-q", str(src), "-o", str(tmp_path / "blind.png")]) == 0, capsys.readouterr().err
    assert main(["denoise", "-q", "--sigma", "15", str(src), "-o", str(tmp_path / "s15.png")]) == 0
    blind = read_image(tmp_path / "blind.png").to_array()
    assert np.array_equal(blind, restore.denoise(photo_u8, model="denoise-real"))
    assert np.array_equal(restore.denoise(photo_u8), blind)
    assert not np.array_equal(blind, gaussian_blind)
    s15 = read_image(tmp_path / "s15.png").to_array()
    assert np.array_equal(s15, restore.denoise(photo_u8, sigma=15, model="denoise"))
    assert not np.array_equal(s15, restore.denoise(photo_u8, sigma=15, model="denoise-real"))
    # --noise names the kind outright, blind or not
    assert main(["denoise", "-q", "--noise", "gaussian", str(src), "-o", str(tmp_path / "g.png")]) == 0
    assert np.array_equal(read_image(tmp_path / "g.png").to_array(), gaussian_blind)
    assert main(["denoise", "-q", "--noise", "camera", "--sigma", "15", str(src), "-o", str(tmp_path / "c.png")]) == 0
    assert np.array_equal(read_image(tmp_path / "c.png").to_array(),
                          restore.denoise(photo_u8, sigma=15, noise="camera"))
    with pytest.raises(ValueError, match="noise must be one of auto, camera, gaussian, not 'raw'"):
        restore.denoise(photo_u8, noise="raw")


def test_cli_and_api_with_a_registered_model(tmp_path, monkeypatch, capsys, photo_u8):
    from PIL import Image as PILImage

    import restore
    from restore.cli import main
    from restore.io import read_image

    _register_tiny_denoiser(tmp_path, monkeypatch)
    src = tmp_path / "in.png"
    PILImage.fromarray(photo_u8).save(src)
    assert main(["denoise", "--sigma", "25", "-q", str(src)]) == 0, capsys.readouterr().err
    out = read_image(tmp_path / "in_denoised.png")
    arr = restore.denoise(photo_u8, sigma=25)
    assert arr.dtype == np.uint8 and np.array_equal(out.to_array(), arr)
    assert main(["denoise", "--sigma", "90", str(src)]) != 0
    assert "90" in capsys.readouterr().err


def test_cli_without_a_denoising_model_says_so(tmp_path, monkeypatch, capsys, photo_u8):
    from PIL import Image as PILImage

    from restore.cli import main

    monkeypatch.setenv("RESTORE_WEIGHTS_DIR", str(tmp_path / "empty"))
    PILImage.fromarray(photo_u8).save(tmp_path / "in.png")
    assert main(["denoise", str(tmp_path / "in.png")]) != 0
    err = capsys.readouterr().err
    assert "no denoising model is installed yet" in err and "Traceback" not in err


def test_gray_training_samples_share_image_and_noise_across_channels():
    from restore.recipes.denoise import DenoiseRecipe, add_training_noise

    clean = torch.rand(32, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    recipe = DenoiseRecipe(camera_fraction=0.0, gray_fraction=0.5, clip_fraction=0.0)
    noisy, _ = add_training_noise(clean, recipe, torch.Generator().manual_seed(2))
    gray = [i for i in range(32) if torch.equal(clean[i, 0], clean[i, 1])]
    assert 8 < len(gray) < 24                                # about half, and the target was made gray too
    for i in gray:
        assert torch.equal(noisy[i, 0], noisy[i, 1]) and torch.equal(noisy[i, 1], noisy[i, 2])


def test_compile_flag_gives_the_same_output(tmp_path, monkeypatch, capsys, photo_u8):
    from PIL import Image as PILImage

    from restore.api import load
    from restore.cli import main
    from restore.io import read_image

    _register_tiny_denoiser(tmp_path, monkeypatch)
    src = tmp_path / "in.png"
    PILImage.fromarray(photo_u8[:48, :64]).save(src)
    for flags, name in (([], "plain.png"), (["--compile"], "compiled.png")):
        args = ["denoise", "--sigma", "25", "--precision", "fp32", "-q", *flags, "-o", str(tmp_path / name), str(src)]
        assert main(args) == 0, capsys.readouterr().err
    plain, compiled = (read_image(tmp_path / n).to_array().astype(int) for n in ("plain.png", "compiled.png"))
    assert np.abs(plain - compiled).max() <= 1
    compiled_model = load("denoise", precision="fp32", compile=True)          # the one the CLI ran (cached)
    assert hasattr(compiled_model.net.forward, "_torchdynamo_orig_callable")
    assert not hasattr(load("denoise", precision="fp32").net.forward, "_torchdynamo_orig_callable")


def test_strength_keeps_that_share_of_the_noise(tmp_path, monkeypatch, capsys, photo_u8):
    from PIL import Image as PILImage

    import restore
    from restore.api import load
    from restore.cli import main
    from restore.io import read_image

    _register_tiny_denoiser(tmp_path, monkeypatch)
    m = load("denoise", precision="fp32")
    img = Image.from_array(photo_u8)
    full, none, half = (m(img, sigma=30, strength=s).pixels for s in (1.0, 0.0, 0.5))
    assert torch.allclose(none, img.pixels, atol=1e-6)
    assert torch.allclose(half, (img.pixels + full) / 2, atol=1e-5)
    with pytest.raises(ValueError, match="strength must be between 0 and 1, not 2"):
        m(img, strength=2)
    src = tmp_path / "in.png"
    PILImage.fromarray(photo_u8).save(src)
    args = ["denoise", "--sigma", "30", "--precision", "fp32", "-q", str(src)]
    assert main([*args, "--strength", "0.5", "-o", str(tmp_path / "half.png")]) == 0, capsys.readouterr().err
    want = restore.denoise(photo_u8, sigma=30, strength=0.5, precision="fp32")
    assert np.abs(read_image(tmp_path / "half.png").to_array().astype(int) - want.astype(int)).max() <= 1
    assert main([*args, "--strength", "1.5"]) == 2
    assert "1.5 is not in the range 0<=x<=1" in capsys.readouterr().err
