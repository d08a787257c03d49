"""Centring: a shipped model on realistic stamps whose central galaxy is off the centre
pixel, with and without `classify --recentre`.

Input: realistic stamp files (the workflow's, σ 14.5) drawn with the same recipe and
`stamp.centring.radius` r (0: exactly centred), given as r=path. For each r and each
mode, the stamps go through `blendhunter.classify.classify_stamps` with the model, and
the script writes, per subset (isolated kept isolated, close and distant blends found),
the rate at p >= the model's threshold with its binomial standard error, the AUC, and
how many rows the domain check flagged. Flagged rows are scored by their p_blend like
the others (the flag is a warning, not an answer).

    .venv/bin/python benchmarks/centring.py --model cfis-sigma15 \\
        --weights ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 \\
        0=r0.h5 1=r1.h5 2=r2.h5 --json benchmarks/centring.json --figure benchmarks/centring.png
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np


def rates(truth, separation, p, threshold, close_separation=10.0) -> dict:
    from blendhunter.scores import auc

    blended = p >= threshold
    subsets = {
        "isolated_kept": (truth == 0, ~blended),
        "close_found": ((truth == 1) & (separation < close_separation), blended),
        "distant_found": ((truth == 1) & (separation >= close_separation), blended),
    }
    out = {"auc": float(auc(truth, p))}
    for name, (rows, right) in subsets.items():
        n = int(rows.sum())
        rate = float(right[rows].mean())
        out[name] = {"rate": rate, "se": float(np.sqrt(rate * (1 - rate) / n)), "n": n}
    return out


def main(argv=None) -> int:
    from blendhunter.classify import Classifier, classify_stamps
    from blendhunter.stamps import StampSet

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="+", help="radius=stamps.h5")
    parser.add_argument("--model", default="cfis-sigma15")
    parser.add_argument("--weights", required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args(argv)
    model = Classifier.from_model(args.model, args.weights, threads=0)
    rows = []
    for spec in args.sets:
        radius, path = spec.split("=", 1)
        stamp_set = StampSet(path)
        index = np.arange(len(stamp_set))
        images = stamp_set.images(index)
        truth = stamp_set.labels
        separation = stamp_set.meta["separation"].to_numpy()
        for recentre in (False, True):
            start = time.perf_counter()
            table = classify_stamps(model, images, recentre=recentre)
            found = rates(truth, separation, table["p_blend"].to_numpy(), model.threshold)
            found.update(
                radius=float(radius),
                recentre=recentre,
                stamps=len(images),
                flagged=float((table["flags"] != "").mean()),
                seconds=round(time.perf_counter() - start, 1),
            )
            rows.append(found)
            print(json.dumps(found))
    result = {
        "model": args.model,
        "command": "benchmarks/centring.py " + " ".join(argv or __import__("sys").argv[1:]),
        "machine": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.figure:
        figure(rows, args.model, args.figure)
    return 0


def figure(rows: list[dict], model: str, out: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.4))
    axes = fig.subplots(1, 3, sharey=True)
    for ax, key, title in zip(
        axes,
        ("isolated_kept", "close_found", "distant_found"),
        ("isolated called isolated", "close blends found", "distant blends found"),
        strict=True,
    ):
        for recentre, style in ((False, "o--"), (True, "s-")):
            part = sorted((r for r in rows if r["recentre"] == recentre), key=lambda r: r["radius"])
            x = [r["radius"] for r in part]
            y = [100 * r[key]["rate"] for r in part]
            err = [100 * r[key]["se"] for r in part]
            ax.errorbar(x, y, err, fmt=style, capsize=3, label="re-centred" if recentre else "as cut")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("central galaxy off the centre pixel (px)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("per cent (± binomial s.e.)")
    axes[0].legend()
    fig.suptitle(f"{model} on realistic stamps (σ 14.5) off-centre, p ≥ threshold", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    raise SystemExit(main())
