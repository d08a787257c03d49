"""Peak memory of `blendhunter classify-image` against the number of sources (cutouts stream
through the network a batch at a time).

    .venv/bin/python benchmarks/classify_image_memory.py --n 1000 10000 [--model cfis-sigma15]

For each N: one 2,000 x 2,000 image (sky and noise) and a catalogue of N random
positions on it; `classify-image` runs in a child process and the child's peak resident
memory (getrusage of the children) and its sources/s are reported, with the image and
the model fixed. Bounded memory means the same peak for every N. Writes --json if given.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.io import fits

from blendhunter.network.machine import cpu_info

ROOT = Path(__file__).resolve().parents[1]
SIDE = 2000


def run(image: Path, catalogue: Path, args) -> tuple[float, float]:
    out = catalogue.with_suffix(".out.csv")
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify-image", str(image), "--quiet"]
    cmd += ["--catalogue", str(catalogue), "--output", str(out), "--vgg16-weights", str(args.weights)]
    if args.model:
        cmd += ["--model", args.model]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak < before:
        raise RuntimeError("peak RSS went down: run each N in increasing order")
    n = len(pd.read_csv(out))
    out.unlink()
    return peak / 1024, n / seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 10000], help="source counts, increasing")
    parser.add_argument(
        "--model", help="a shipped model's name or a head directory (default: classify-image's)"
    )
    parser.add_argument("--weights", type=Path, default=ROOT / "resources/vgg16_notop.h5")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bh-image-mem-") as tmp:
        image = Path(tmp) / "image.fits"
        fits.PrimaryHDU((100 + rng.normal(0, 15, (SIDE, SIDE))).astype(np.float32)).writeto(image)
        for n in sorted(args.n):
            catalogue = Path(tmp) / f"cat{n}.csv"
            pd.DataFrame({"x": rng.uniform(0, SIDE - 1, n), "y": rng.uniform(0, SIDE - 1, n)}).to_csv(
                catalogue, index=False
            )
            peak, rate = run(image, catalogue, args)
            rows.append({"sources": n, "peak_rss_mb": round(peak), "sources_per_s": round(rate, 1)})
            print(rows[-1], flush=True)
    result = {"cpu": cpu_info(), "image": f"{SIDE}x{SIDE}", "model": args.model or "default", "runs": rows}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
