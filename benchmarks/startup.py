"""What one image costs through the CLI, start-up included: a process per command, as a shell loop runs it.

    python -m benchmarks.startup                 # writes the `startup` section of BENCHMARKS.md
    python -m benchmarks.startup --images 1 --rounds 1 --no-write

Each round times, in alternation so a slow spell of the machine hits them alike: ``python -c "import torch"``
(the floor every command pays), ``restore --version``, and ``restore encode`` / ``restore decode`` of a Kodak
image at quality 4, once as shipped (compressai's package ``__init__`` and ``scipy.stats`` deferred,
``restore.deferred``; PyTorch's allocator without huge pages, ``restore.runtime.small_pages``) and once with
compressai, and so torch, imported first, as before (huge pages stay on). Wall seconds of the whole process
(median over rounds and images) and its peak RSS. Children get the user's environment
(``restore.runtime.child_environ``).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.common import bench_images, machine_line, table, timed_cli, write_section

EAGER = ("-c", "import sys, warnings; warnings.simplefilter('ignore'); import compressai; "
         "from restore.cli import main; sys.exit(main(sys.argv[1:]))")


def measure(images: list[Path], rounds: int, model: str) -> dict[str, list[tuple[float, float]]]:
    """(wall s, peak MiB) per job name, over ``rounds`` × ``images``."""
    out: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as d:
        for r in range(rounds):
            for i, img in enumerate(images):
                rst, back = f"{d}/{i}.rst", f"{d}/{i}.png"
                jobs = {
                    "python -c 'import torch'": (["import torch"], ("-c",)),
                    "restore --version": (["--version"], ("-m", "restore")),
                    "restore encode (shipped)": (["encode", "-q", "4", "-m", model, str(img), "-o", rst, "--quiet"],
                                                 ("-m", "restore")),
                    "restore encode (compressai in full)": (["encode", "-q", "4", "-m", model, str(img), "-o",
                                                             f"{d}/{i}e.rst", "--quiet"], EAGER),
                    "restore decode (shipped)": (["decode", rst, "-o", back, "--quiet"], ("-m", "restore")),
                    "restore decode (compressai in full)": (["decode", rst, "-o", f"{d}/{i}e.png", "--quiet"], EAGER),
                }
                for name, (args, python) in jobs.items():
                    out.setdefault(name, []).append(timed_cli(args, python))
                for p in Path(d).iterdir():
                    p.unlink()
                print(f"round {r + 1}/{rounds} image {img.name}", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=3, help="first N Kodak24 images")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model", default="codec")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args(argv)
    images = bench_images("Kodak24")[:a.images]
    res = measure(images, a.rounds, a.model)
    rows = [[name, f"{statistics.median(w for w, _ in v):.2f}", f"{min(w for w, _ in v):.2f}",
             f"{max(w for w, _ in v):.2f}", f"{max(m for _, m in v) / 1024:.2f}"] for name, v in res.items()]
    command = "python -m benchmarks.startup" + (" " + " ".join(argv) if argv else "")
    body = "\n".join([
        "## One image through the CLI (start-up included)", "",
        f"{machine_line()}. Command: `{command}`", "",
        f"A process per command; {', '.join(p.name for p in images)} at quality 4, {a.rounds} rounds, "
        "jobs in alternation. Wall seconds of the whole process. \"compressai in full\": imported, with torch, "
        "before the command runs, as before (so the allocator also keeps its huge pages).", "",
        table(["job", "median s", "min s", "max s", "peak RSS GB"], rows)])
    print(body)
    if not a.no_write:
        write_section("startup", body)


if __name__ == "__main__":
    main(sys.argv[1:])
