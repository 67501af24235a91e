"""Compress the bundled example with the learned codec: quality levels, a size target, a region decode."""
from pathlib import Path

import restore

here = Path(__file__).parent
for q in (1, 4, 8):
    data = restore.encode(here / "coffee.png", quality=q)             # → bytes of a .rst file
    img = restore.decode(data)                                          # → restore.Image
    print(f"quality {q}: {len(data)} bytes, {8 * len(data) / (img.width * img.height):.2f} bpp")

data = restore.encode(here / "astronaut.png", target_bpp=0.5)          # best quality within 0.5 bits/pixel
Path("astronaut.rst").write_bytes(data)
crop = restore.decode("astronaut.rst", region=(128, 64, 200, 150))     # only the tiles the region touches
restore.write_image(crop, "astronaut_face.png")
