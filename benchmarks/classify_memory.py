"""Peak memory of `blendhunter classify` against the number of stamps (it streams its input).

    .venv/bin/python benchmarks/classify_memory.py --model results/models/sigma15/real0 \\
        --n 10000 100000 [--precision int8]

For each N it writes a FITS cube of N random 51x51 stamps (4 x 51 x 51 x N bytes), runs
`blendhunter classify` on it in a child process and reports the child's peak resident
memory (getrusage of the children) and its stamps/s. Memory bounded by the batch means
the same peak for every N. The cubes are written to --tmpdir and deleted. Exits 0.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

from blendhunter.network.machine import cpu_info

ROOT = Path(__file__).resolve().parents[1]


def write_cube(path: Path, n: int, block: int = 10000) -> None:
    """A FITS cube of n noisy 51x51 stamps with a faint source, written block by block."""
    header = fits.Header({"SIMPLE": True, "BITPIX": -32, "NAXIS": 3, "NAXIS1": 51, "NAXIS2": 51, "NAXIS3": n})
    header.tofile(path, overwrite=True)
    rng = np.random.default_rng(0)
    with open(path, "ab") as handle:
        for start in range(0, n, block):
            stamps = rng.normal(0, 14.5, (min(block, n - start), 51, 51)).astype(">f4")
            stamps[:, 22:29, 22:29] += 100
            handle.write(stamps.tobytes())
        pad = (-handle.tell()) % 2880  # FITS blocks
        handle.write(b"\0" * pad)


def classify_peak(cube: Path, args: argparse.Namespace) -> tuple[float, float]:
    """(peak RSS in MB, stamps/s) of one classify run in a fresh child process."""
    out = cube.with_suffix(".csv")
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", "--model", str(args.model)]
    cmd += ["--vgg16-weights", str(args.weights), "--output", str(out), str(cube)]
    if args.precision:
        cmd += ["--precision", args.precision]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KB; max over children so far
    if peak < before:
        raise RuntimeError("peak RSS went down: run each N in increasing order")
    out.unlink()
    return peak / 1024, int(fits.getheader(cube)["NAXIS3"]) / seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a model directory of the workflow")
    parser.add_argument("--weights", type=Path, default=ROOT / "resources/vgg16_notop.h5")
    parser.add_argument("--n", type=int, nargs="+", default=[10000, 100000], help="cube sizes, increasing")
    parser.add_argument("--precision", help="as classify's --precision (default: the model's)")
    parser.add_argument("--tmpdir", type=Path, help="where to write the cubes (default: system)")
    args = parser.parse_args(argv)
    print(f"CPU: {cpu_info()['model']}, {cpu_info()['cores']} cores; model {args.model}")
    print(f"{'stamps':>8} {'cube MB':>8} {'peak RSS MB':>12} {'stamps/s':>9}")
    with tempfile.TemporaryDirectory(prefix="bh-classify-mem-", dir=args.tmpdir) as tmp:
        for n in sorted(args.n):
            cube = Path(tmp) / f"cube{n}.fits"
            write_cube(cube, n)
            peak, rate = classify_peak(cube, args)
            print(f"{n:8d} {cube.stat().st_size / 1e6:8.0f} {peak:12.0f} {rate:9.1f}", flush=True)
            cube.unlink()
    print("(peak RSS is the maximum over the child processes so far: equal peaks mean bounded memory)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
