"""Synthetic degradations for training recipes and synthetic benchmarks, one module per family.

Each degradation is a pair: ``sample_X(generator, ...) -> XParams`` draws everything random from one
``torch.Generator``, and ``apply_X(x, params)`` is pure; :mod:`restore.degrade.compose` wraps them as ops and
composes them (sequence, one of, shuffled) with one generator threaded through. The families: ``color`` (sRGB ↔
linear, gray), ``resize`` (bicubic SR inputs), ``blur``, ``noise`` (Gaussian, Poisson-Gaussian, camera),
``camera`` (the invertible ISP), ``isp`` (camera noise: sRGB → raw Bayer → sensor noise → a random ISP → JPEG),
``bayer``, ``jpeg``, ``weather`` (haze, rain, snow), ``reflection``, ``burst``.

The names below are imported lazily, so inference (which needs only the sRGB curves and the Bayer helpers) does
not load the rest.
"""
from __future__ import annotations

from restore.lazy import lazy_exports

_MODULES = {
    "compose": ["seeded", "uniform", "coin", "draw", "same", "Op", "Identity", "Clip", "Sequence", "OneOf",
                "Shuffled", "maybe", "SequenceParams", "OneOfParams", "ShuffledParams"],
    "color": ["srgb_to_linear", "linear_to_srgb", "to_gray", "Gray"],
    "resize": ["mod_crop", "bicubic_downscale", "bicubic_upscale", "downscale_to", "BicubicDown", "ScaleParams",
               "sample_scale", "apply_scale", "RandomScale"],
    "blur": ["gaussian_blur", "filter2d", "line_kernel", "line_blur", "sample_field", "render_field", "smooth_field",
             "GaussianBlurParams", "sample_gaussian_blur", "apply_gaussian_blur", "GaussianBlur",
             "MotionBlurParams", "sample_motion_blur", "apply_motion_blur", "MotionBlur"],
    "noise": ["GaussianNoiseParams", "sample_gaussian_noise", "apply_gaussian_noise", "gaussian_noise",
              "GaussianNoise", "PoissonGaussianParams", "sample_poisson_gaussian", "apply_poisson_gaussian",
              "noise_sd", "PoissonGaussian", "CameraNoiseParams", "sample_camera_noise", "apply_camera_noise",
              "camera_noise", "CameraNoise"],
    "camera": ["CameraParams", "sample_camera", "wb_gains", "srgb_to_camera", "camera_to_srgb"],
    "isp": ["DEMOSAICS", "IspParams", "sample_isp", "tone_curve", "inverse_tone_curve", "unprocess", "raw_noise",
            "demosaic_classical", "process", "apply_isp", "noiseless", "CameraPipeline"],
    "bayer": ["PATTERNS", "check_pattern", "bayer_masks", "mosaic", "Mosaic", "MissingSitesParams",
              "sample_missing_sites", "apply_missing_sites", "MissingSites"],
    "jpeg": ["SUBSAMPLING", "jpeg_roundtrip", "JpegParams", "sample_jpeg", "apply_jpeg", "Jpeg", "DoubleJpegParams",
             "sample_double_jpeg", "apply_double_jpeg", "DoubleJpeg", "effective_quality"],
    "weather": ["HazeParams", "sample_haze", "haze_transmission", "apply_haze", "haze_depth", "add_haze", "Haze",
                "RainParams", "sample_rain", "rain_streaks", "apply_rain", "add_rain", "Rain", "SNOW_SIZES",
                "SnowParams", "sample_snow", "snow_alpha", "apply_snow", "add_snow", "Snow", "WEATHER_OPS"],
    "reflection": ["ReflectionParams", "sample_reflection", "apply_reflection", "transmitted", "add_reflection",
                   "ThroughGlass"],
    "burst": ["FrameMotion", "sample_motion", "motion_theta", "warp_theta", "warp", "unwarp", "Burst",
              "MovingObject", "BurstParams", "sample_burst", "apply_burst", "synth_burst", "HandheldBurst"],
}
_LAZY = {name: f"restore.degrade.{mod}" for mod, names in _MODULES.items() for name in names}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
