"""Head training speed: Keras step by step against whole-epoch compiled calls (same schedule).

    .venv/bin/python benchmarks/training_throughput.py --epochs 20 --repeats 3
    .venv/bin/python benchmarks/training_throughput.py \\
        --features results/features/parametric/sigma15/real0.h5 --seeds 3

Without --features the heads train on random features of the workflow's shape (9,000
training and 9,000 validation stamps, like a 20,000-stamp set): the cost of an epoch does
not depend on the values. Each mode trains `--epochs` epochs (no early stop), in turn,
`--repeats` times; epochs/s is the best run. With --features the heads also train to the
end of the paper's schedule (early stopping) with `--seeds` seeds per mode, and the test
accuracies of both modes are printed: the speed-up must not move them beyond the spread
between seeds. Target: whole-epoch >= 1.5x step-by-step epochs/s. Exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from blendhunter.network import features, training
from blendhunter.workflow import config

ROOT = Path(__file__).resolve().parents[1]
MODES = {"step-by-step": False, "whole-epoch": True}
TARGET = 1.5


def paper_settings() -> dict:
    cfg = config.load(ROOT / "config/config.yaml")["training"]
    return {k: v for k, v in cfg.items() if k != "overrides"}


def synthetic(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *features.FEATURE_SHAPE)).astype(np.float32)
    y = (x[:, 0, 0, :16].sum(axis=1) > 0).astype(int)
    return x, y


def epochs_per_second(data, settings: dict, epochs: int, fast: bool) -> float:
    (x, y), (xv, yv) = data
    fixed = {**settings, "max_epochs": epochs, "early_stopping_patience": epochs + 1}
    fixed["reduce_lr_patience"] = epochs + 1
    start = time.perf_counter()
    training.train_head(x, y, xv, yv, fixed, seed=0, fast=fast)
    return epochs / (time.perf_counter() - start)


def accuracies(path: Path, settings: dict, seeds: int) -> dict:
    train = features.read_features(path, "train")[:2]
    val = features.read_features(path, "validation")[:2]
    x_test, y_test, _ = features.read_features(path, "test")
    out = {}
    for mode, fast in MODES.items():
        out[mode] = []
        for seed in range(seeds):
            result = training.train_head(*train, *val, settings, seed=seed, fast=fast)
            p = training.predict(result.model, x_test)
            out[mode].append((float(np.mean((p >= 0.5) == y_test)), len(result.history), result.seconds))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=Path, help="a workflow feature file (default: random features)")
    parser.add_argument("--n", type=int, default=9000, help="stamps per split (random)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3, help="seeds per mode for the accuracy check")
    parser.add_argument("--threads", type=int, default=0, help="TensorFlow threads (default: every core)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    threads = args.threads or len(os.sched_getaffinity(0))
    features.configure_threads(threads)
    settings = paper_settings()
    if args.features:
        data = tuple(features.read_features(args.features, split)[:2] for split in ("train", "validation"))
    else:
        data = (synthetic(args.n, 0), synthetic(args.n, 1))
    n_train = len(data[0][1])
    rates = {mode: [] for mode in MODES}
    for k in range(args.repeats):
        for mode in list(MODES)[k % 2 :] + list(MODES)[: k % 2]:
            rates[mode].append(epochs_per_second(data, settings, args.epochs, MODES[mode]))
    best = {mode: max(r) for mode, r in rates.items()}
    batch = settings["batch_size"]
    print(f"{n_train} training stamps, batch {batch}, {args.epochs} epochs, {threads} threads, ", end="")
    print(f"best of {args.repeats}")
    for mode, rate in best.items():
        runs = ", ".join(f"{r:.2f}" for r in rates[mode])
        print(f"  {mode:<13} {rate:6.2f} epochs/s   (runs: {runs})")
    ratio = best["whole-epoch"] / best["step-by-step"]
    print(f"  ratio {ratio:.2f}x   {'PASS' if ratio >= TARGET else 'MISS'} (target >= {TARGET}x)")
    if args.features:
        print(f"\ntest accuracy, paper schedule, {args.seeds} seeds per mode ({args.features}):")
        for mode, runs in accuracies(args.features, settings, args.seeds).items():
            accs = [a for a, _, _ in runs]
            detail = ", ".join(f"{a:.4f} ({e} epochs, {s:.0f} s)" for a, e, s in runs)
            print(f"  {mode:<13} mean {statistics.mean(accs):.4f} sd {statistics.pstdev(accs):.4f}: {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
