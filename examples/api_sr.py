"""Upscale the bundled example with the Python API: from a path, a numpy array and a PIL image."""
from pathlib import Path

import numpy as np
from PIL import Image as PILImage

import restore

here = Path(__file__).parent
img = restore.sr(here / "coffee.png", scale=2)               # path in → restore.Image out
restore.write_image(img, "coffee_x2.png")                     # into the current folder

model = restore.load("sr-x4")                                 # reusable, thread-safe
arr = np.asarray(PILImage.open(here / "astronaut.png"))[:128, :128]
print(restore.sr(arr, scale=4).shape)                         # numpy in → numpy out: (512, 512, 3)
print(model(restore.read_image(here / "astronaut.png")).width)  # 2048
