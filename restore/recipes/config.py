"""Every backbone task's training recipe: one dataclass per task holding each default and its help text.

No torch here: ``restore train <task>`` builds its options from these fields (restore.cli.train.recipe_options),
so the command line and the Python API share one set of defaults. The defaults are the settings that trained the
shipped models (their manifest entries record them). The codec's recipe stays in recipes/codec.py: its
command's options grow a trained model and are written by hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from restore.formats import WEATHER

__all__ = ["SRRecipe", "SRAnyRecipe", "DenoiseRecipe", "DejpegRecipe", "DemosaicRecipe", "SceneRecipe", "BurstRecipe",
           "opt"]

def opt(default: Any, help: str, flag: str = "", choices: tuple = (), cli: bool = True) -> Any:
    """A recipe field with its command-line help: ``flag`` names the option where it is not ``--field-name``,
    ``choices`` limits it, ``cli=False`` keeps it off the command line (set by the command or left as is)."""
    return field(default=default, metadata={"help": help, "flag": flag, "choices": choices, "cli": cli})


@dataclass
class SRRecipe:
    body: str = opt("res", "Backbone body: res, naf or swin.")
    channels: int = opt(32, "Body width (channels).")
    blocks: int = opt(4, "Body depth (blocks).")
    scales: tuple[int, ...] = opt((2, 3, 4), "Scale(s) trained into one shared-body model, comma separated.",
                                  flag="--scale")
    batch: int = opt(16, "Patches per step.")
    lr_patch: int = opt(48, "LR patch size.", flag="--patch")
    degradation: str = opt("bicubic", "LR inputs: clean MATLAB bicubic, or real (blur, resamplers, noise, JPEG; "
                           "restore.degrade.realsr).", choices=("bicubic", "real"))
    clean_fraction: float = opt(0.2, "With --degradation real: share of clean bicubic samples.")
    second_order: float = opt(0.4, "With --degradation real: share of the rest degraded twice.")
    val_crop: int = opt(192, "Side of the held-out validation crops (HR).")
    lr: float = opt(2e-3, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return {"body": self.body, "body_kwargs": {"channels": self.channels, "blocks": self.blocks},
                "scales": tuple(self.scales)}


@dataclass
class SRAnyRecipe:
    body: str = opt("res", "Backbone body: res, naf or swin.")
    channels: int = opt(32, "Body width (channels); --from-sr needs the SR model's.")
    blocks: int = opt(4, "Body depth (blocks); --from-sr needs the SR model's.")
    hidden: int = opt(64, "Width of the implicit-function MLP.")
    batch: int = opt(16, "Patches per step.")
    patch: int = opt(96, "HR patch size.")
    asymmetric: float = opt(0.3, "Share of batches with different vertical and horizontal scales.")
    val_crop: int = opt(192, "Side of the held-out validation crops (HR).")
    val_scales: tuple = opt(((1.5, 1.5), (2.5, 2.5), (3.5, 3.5), (2.0, 3.5)),
                            "Validation scales, (vertical, horizontal) pairs.", cli=False)
    lr: float = opt(1e-3, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return {"body": self.body, "body_kwargs": {"channels": self.channels, "blocks": self.blocks},
                "hidden": self.hidden}


def level_map_net_kwargs(recipe) -> dict:
    """Build arguments of the networks with a level estimator beside a body (DenoiseNet, DejpegNet, DemosaicNet)."""
    return {"body": recipe.body, "body_kwargs": {"channels": recipe.channels, "blocks": recipe.blocks},
            "estimator_channels": recipe.estimator_channels}


@dataclass
class DenoiseRecipe:
    body: str = opt("res", "Backbone body: res, naf or swin.")
    channels: int = opt(64, "Body width (channels).")
    blocks: int = opt(8, "Body depth (blocks).")
    estimator_channels: int = opt(32, "Width of the noise-level estimator.")
    batch: int = opt(16, "Crops per step.")
    patch: int = opt(64, "Crop side (even).")
    max_sigma: float = opt(75.0, "Gaussian σ drawn uniformly from [0, max] (8-bit units).")
    camera: str = opt("simple", "Camera noise model: isp (unprocess to a raw Bayer mosaic, Poisson-Gaussian and "
                                "row noise, a random demosaic and ISP: restore.degrade.isp; trains the denoise-real "
                                "model) or simple (Poisson-Gaussian per pixel behind white balance, colour matrix "
                                "and gamma).", choices=("isp", "simple"))
    camera_fraction: float = opt(0.3, "Share of samples with camera noise instead of Gaussian noise.")
    jpeg_fraction: float = opt(0.5, "Share of camera samples then stored as JPEG (isp: quality 70-98, simple: "
                                    "75-95).")
    blind_fraction: float = opt(0.5, "Share of samples that use the estimated noise level.")
    clip_fraction: float = opt(0.5, "Share of Gaussian samples clipped to [0, 1] (files are; papers' inputs not).")
    gray_fraction: float = opt(0.15, "Share of samples made gray (same image and noise in all channels).")
    val_crop: int = opt(192, "Side of the held-out validation crops.")
    val_sigmas: tuple[int, ...] = opt((15, 25, 50), "Validation noise levels.", cli=False)
    lr: float = opt(1e-3, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return level_map_net_kwargs(self)


@dataclass
class DejpegRecipe:
    body: str = opt("res", "Backbone body: res, naf or swin (--from-denoise needs the denoiser's).")
    channels: int = opt(64, "Body width (channels).")
    blocks: int = opt(8, "Body depth (blocks).")
    estimator_channels: int = opt(32, "Width of the compression-level estimator.")
    batch: int = opt(16, "Crops per step.")
    patch: int = opt(96, "Crop side (a multiple of 16, so 4:2:0 blocks stay whole).")
    min_quality: int = opt(5, "Lowest JPEG quality drawn.")
    max_quality: int = opt(95, "Highest JPEG quality drawn.")
    chroma: tuple[float, ...] = opt((0.2, 0.1, 0.7), "Weights of 4:4:4, 4:2:2 and 4:2:0 chroma.")
    double_fraction: float = opt(0.3, "Share of crops saved twice (half of those after a crop that moves the grid).")
    gray_fraction: float = opt(0.2, "Share of crops made gray (a one-plane JPEG).")
    blind_fraction: float = opt(0.5, "Share of crops told the estimated (image-mean) level instead of the true one.")
    val_crop: int = opt(192, "Side of the held-out validation crops.")
    val_qualities: tuple[int, ...] = opt((10, 20, 40), "Validation qualities (colour, 4:2:0).", cli=False)
    lr: float = opt(5e-4, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return level_map_net_kwargs(self)


@dataclass
class DemosaicRecipe:
    body: str = opt("res", "Backbone body: res, naf or swin.")
    channels: int = opt(64, "Body width (channels).")
    blocks: int = opt(8, "Body depth (blocks).")
    estimator_channels: int = opt(16, "Width of the noise-level estimator.")
    batch: int = opt(16, "Crops per step.")
    patch: int = opt(64, "Crop side (even).")
    focus: float = opt(0.5, "Pixel-focus exponent of the loss (0: plain L1).")
    mask_fraction: float = opt(0.3, "Share of samples with missing sites.")
    max_missing: float = opt(0.08, "Their missing fraction is drawn from [0, max].")
    noise_fraction: float = opt(0.3, "Share of noisy samples (joint demosaic + denoise).")
    max_read: float = opt(20.0, "Read-noise σ drawn from [0, max] (8-bit units).")
    max_shot: float = opt(0.004, "Shot-noise gain: variance += gain · signal (signal in [0, 1]).")
    blind_fraction: float = opt(0.5, "Share of noisy samples that use the estimated level.")
    val_crop: int = opt(192, "Side of the held-out validation crops.")
    lr: float = opt(1e-3, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return level_map_net_kwargs(self)


@dataclass
class SceneRecipe:
    task: str = opt("weather", "weather or dereflect.", cli=False)
    body: str = opt("res", "Backbone body: res, naf or swin.")
    channels: int = opt(48, "Body width (channels).")
    blocks: int = opt(8, "Body depth (blocks).")
    global_channels: int = opt(16, "Channels of the whole-image context branch.")
    global_size: int = opt(96, "Side the whole image is downscaled to for the context branch.")
    batch: int = opt(8, "Crops per step.")
    patch: int = opt(128, "Crop side (even).")
    cond_fraction: float = opt(0.5, "Share of weather samples told their kind (the rest: any).")
    val_crop: int = opt(256, "Side of the held-out validation crops.")
    lr: float = opt(1e-3, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return {"body": self.body, "body_kwargs": {"channels": self.channels, "blocks": self.blocks},
                "conditions": len(WEATHER) if self.task == "weather" else 0,
                "global_channels": self.global_channels, "global_size": self.global_size}


@dataclass
class BurstRecipe:
    scale: int = opt(1, "Output scale: 1 (fuse), 2 or 4 (fuse and super-resolve).", choices=(1, 2, 4))
    frames: int = opt(8, "Frames per training burst.")
    body: str = opt("res", "Backbone body: res, naf or swin.")
    channels: int = opt(64, "Body width (channels).")
    blocks: int = opt(8, "Body depth (blocks).")
    frame_channels: int = opt(32, "Channels of the per-frame encoder.")
    batch: int = opt(4, "Bursts per step.")
    patch: int = opt(64, "Frame (input) crop side (even).")
    max_sigma: float = opt(50.0, "Gaussian σ drawn from [0, max] (8-bit units).")
    moving_fraction: float = opt(0.5, "Share of bursts with a moving object.")
    jitter: float = opt(0.2, "Alignment error left after ECC, input pixels.")
    val_crop: int = opt(128, "Side of the held-out validation crops.")
    lr: float = opt(1e-3, "Peak learning rate (AdamW, warm-up then cosine).")

    def model_kwargs(self) -> dict:
        return {"body": self.body, "body_kwargs": {"channels": self.channels, "blocks": self.blocks},
                "frame_channels": self.frame_channels, "scale": self.scale}
