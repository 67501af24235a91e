"""Bit-exact decoding across processes and thread counts: the CDF indexes never depend on float rounding."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from restore.api import load
from restore.codecs.container import stream, unpack
from restore.codecs.model import STRIDE
from restore.codecs.refine import MAX_EFFORT
from restore.io import Image

# decodes every tile's latents and the image in a fresh process, with its own thread count and with
# oneDNN switched off, so the float layers take a different code path than the encoder's process
_DECODER = """
import sys, numpy as np, torch
torch.set_num_threads(int(sys.argv[1]))
torch.backends.mkldnn.enabled = False
from restore.api import codec_for
from restore.codecs.container import stream, unpack
data = open(sys.argv[2], "rb").read()
codec = codec_for(data, "fp32")
h, streams = unpack(data)
lat = []
for i in range(h.grid[0] * h.grid[1]):
    x, y, w, hh = h.coded_box(i)
    lat.append(codec.net.decode_latents(stream(h, streams, 3 + i, "tile"), -(-hh // 64) * 64, -(-w // 64) * 64))
torch.save(lat, sys.argv[3])
np.save(sys.argv[4], codec.decode(data).to_array())
"""


@pytest.mark.parametrize("effort", [1, MAX_EFFORT])
def test_decode_in_another_process_with_other_threads_is_bit_exact(tiny_codec, codec_dir, tmp_path, effort):
    """Also for the highest encoder effort, whose latents come from a float search: once coded, its symbols
    decode exactly like any others."""
    from tinycodec import EXAMPLES
    from PIL import Image as P

    photo = np.asarray(P.open(EXAMPLES / "coffee.png").convert("RGB"))[100:196, 200:328].copy()    # 128×96
    img = Image.from_array(photo)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        data = tiny_codec.encode(img, quality=2.5, tile=64, overlap=0, effort=effort)
        h, streams = unpack(data)
        assert h.grid == (2, 2)
        enc_latents = []
        for i in range(4):
            x, y, w, hh = h.coded_box(i)
            tile = img.pixels[None, :, y:y + hh, x:x + w]
            tile = F.pad(tile, (0, -w % STRIDE, 0, -hh % STRIDE), mode="replicate")
            if effort == 1:
                payload, y_hat = tiny_codec.net.encode_latents(tile, h.quality, tiny_codec.analyse(tile))
                assert payload == stream(h, streams, 3 + i, "tile")          # encoding is deterministic too
            else:
                y_hat = tiny_codec.tile_latents(h, i, stream(h, streams, 3 + i, "tile"))
            enc_latents.append(y_hat)
        here = load("codec", precision="fp32").decode(data).to_array()
        fast = tiny_codec.decode(data).to_array()                       # the default (bf16 synthesis here)
    finally:
        torch.set_num_threads(before)
    src, lat_file, img_file = tmp_path / "a.rst", tmp_path / "lat.pt", tmp_path / "img.npy"
    src.write_bytes(data)
    env = dict(os.environ, RESTORE_WEIGHTS_DIR=str(codec_dir), OMP_NUM_THREADS="1")
    subprocess.run([sys.executable, "-c", _DECODER, "1", src, lat_file, img_file], env=env, check=True,
                   timeout=300)
    dec_latents = torch.load(lat_file)
    assert len(dec_latents) == 4
    for a, b in zip(enc_latents, dec_latents):
        assert torch.equal(a, b)                       # every symbol, mean and table index identical
    there = np.load(img_file)
    # pixels come from the float synthesis transform: identical latents give the same image up to rounding
    assert there.shape == here.shape
    assert np.abs(there.astype(int) - here.astype(int)).max() <= 1
    # bf16 synthesis (the default where the CPU has it) moves pixels by a few levels, never the symbols
    assert np.abs(fast.astype(int) - here.astype(int)).max() <= 4
