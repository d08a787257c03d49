"""GPU check of the feature engine, for a machine with a GPU and JAX (no TensorFlow needed).

    make gpu-check                      # or:
    PYTHONPATH=src python benchmarks/gpu_check.py --weights W --out benchmarks/gpu_check.json

1. The GPU test: VGG-16 features of the same stamps on the GPU and on this machine's
   CPU (both JAX, float32 at the highest matmul precision), max relative difference
   <= 1e-5 (the CPU build is held to TensorFlow by tests/unit/test_jax_engine.py in CI).
2. Throughput: stamps/s for float32 and bfloat16 at a few batch sizes, for each
   feature layer, after compilation.
3. A small JSON with the device, versions, agreement and rates; exit 1 if the GPU
   disagrees.

Needs numpy, h5py and jax only. `--weights` takes the Keras HDF5 or its float16
pack (`python -c "from blendhunter import jax_engine; jax_engine.pack(H5, NPZ)"`,
30 MB), for machines that can only be sent a few tens of MB.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from blendhunter.network import features, jax_engine

AGREEMENT = 1e-5
LAYERS = ("block5_pool", "block3_pool")


def stamps(n: int, seed: int = 20210915) -> np.ndarray:
    """Network input of n stamps: one or two round galaxies in sigma-15 noise, the paper's scaling."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:65, :65]
    images = rng.normal(0.0, 15.0, (n, 65, 65))
    for image in images:
        for _ in range(rng.integers(1, 3)):
            cx, cy, r, flux = *rng.uniform(22, 43, 2), rng.uniform(1.5, 4), rng.uniform(2e3, 2e4)
            image += flux / (2 * np.pi * r**2) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))
    return features.preprocess(images.astype(np.float32), "png")


def rate(infer, batch: np.ndarray, seconds: float = 3.0) -> float:
    """Stamps/s of `infer` on one batch, after a compiling call."""
    infer(batch)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        infer(batch)
        runs += 1
    return runs * len(batch) / (time.perf_counter() - start)


def main(argv=None) -> int:
    import jax

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True, help="Keras VGG-16 notop HDF5, or its float16 .npz pack")
    parser.add_argument("--out", default="benchmarks/gpu_check.json")
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 256, 1024, 4096])
    parser.add_argument("--stamps", type=int, default=256, help="stamps compared with the CPU")
    parser.add_argument("--seconds", type=float, default=3.0, help="timing per rate")
    parser.add_argument("--allow-cpu", action="store_true", help="no GPU: run on the CPU (tests this script)")
    args = parser.parse_args(argv)

    gpus = [d for d in jax.devices() if d.platform == "gpu"]
    if not gpus and not args.allow_cpu:
        print("no GPU visible to JAX: nothing to check", file=sys.stderr)
        return 2
    gpus = gpus or jax.devices("cpu")
    gpu, cpu = gpus[0], jax.devices("cpu")[0]
    x = stamps(max(args.stamps, max(args.batches)))
    result = {
        "device": str(getattr(gpu, "device_kind", gpu)),
        "host": platform.node(),
        "jax": jax.__version__,
        "weights": Path(args.weights).name,
        "agreement_limit": AGREEMENT,
        "layers": {},
    }
    ok = True
    for layer in LAYERS:
        on_cpu = jax_engine.conv_base(args.weights, "float32", layer, device=cpu)(x[: args.stamps])
        entry = {"agreement": {}, "stamps_per_s": {}}
        for precision in jax_engine.JAX_PRECISIONS:
            infer = jax_engine.conv_base(args.weights, precision, layer, device=gpu)
            found = infer(x[: args.stamps])
            diff = float(np.abs(found - on_cpu).max() / np.abs(on_cpu).max())
            entry["agreement"][precision] = diff
            if precision == "float32" and diff > AGREEMENT:
                ok = False
            entry["stamps_per_s"][precision] = {
                str(b): round(rate(infer, x[:b], args.seconds), 1) for b in args.batches
            }
            print(layer, precision, f"max rel diff {diff:.2e}", entry["stamps_per_s"][precision], flush=True)
        entry["cpu_stamps_per_s_float32"] = round(
            rate(jax_engine.conv_base(args.weights, "float32", layer, device=cpu), x[:256], args.seconds), 1
        )
        result["layers"][layer] = entry
    result["passed"] = ok
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'passed' if ok else 'FAILED'}: {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
