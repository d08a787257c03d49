"""Centring: models on realistic stamps whose central galaxy is off the centre pixel,
with and without `classify --recentre`.

Input: realistic stamp files (the workflow's, σ 14.5) drawn with the same recipe and
`realistic.centring.radius` r (0: exactly centred), given as r=path. For each r and each
mode, the stamps go through `blendhunter.classify.classify_stamps` with the model, and
the script writes, per subset (isolated kept isolated, close and distant blends found),
the rate at p >= the model's threshold with its binomial standard error, the AUC, and
how many rows the domain check flagged. Flagged rows are scored by their p_blend like
the others (the flag is a warning, not an answer). --model may be repeated, as
LABEL=MODEL (a shipped name or a head's directory).

    .venv/bin/python benchmarks/centring.py --model cfis-sigma15 \\
        --weights ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 \\
        0=r0.h5 1=r1.h5 2=r2.h5 --json docs/centring/centring.json --figure docs/centring/centring.png
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np


def rates(truth, separation, p, threshold, close_separation=10.0) -> dict:
    from blendhunter.evaluation.scores import auc

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
    from blendhunter.classify import Classifier

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="+", help="radius=stamps.h5")
    parser.add_argument("--model", action="append", help="[LABEL=]MODEL; default: cfis-sigma15")
    parser.add_argument("--weights", required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args(argv)
    rows = []
    for spec in args.model or ["cfis-sigma15"]:
        label, _, name = spec.rpartition("=")
        model = Classifier.from_model(name, args.weights, threads=0)
        for found in score_sets(model, args.sets):
            rows.append({"model": label or name, **found})
            print(json.dumps(rows[-1]))
    result = {
        "models": args.model or ["cfis-sigma15"],
        "command": "benchmarks/centring.py " + " ".join(argv or __import__("sys").argv[1:]),
        "machine": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "rows": rows,
    }
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.figure:
        figure(rows, args.figure)
    return 0


def score_sets(model, sets: list[str]):
    """The rates of one model on each radius=stamps.h5, as cut and re-centred."""
    from blendhunter.classify import classify_stamps
    from blendhunter.simulation.stamps import StampSet

    for spec in sets:
        radius, path = spec.split("=", 1)
        stamp_set = StampSet(path)
        images = stamp_set.images(np.arange(len(stamp_set)))
        separation = stamp_set.meta["separation"].to_numpy()
        for recentre in (False, True):
            start = time.perf_counter()
            table = classify_stamps(model, images, recentre=recentre)
            found = rates(stamp_set.labels, separation, table["p_blend"].to_numpy(), model.threshold)
            found.update(
                radius=float(radius),
                recentre=recentre,
                stamps=len(images),
                flagged=float((table["flags"] != "").mean()),
                seconds=round(time.perf_counter() - start, 1),
            )
            yield found


def figure(rows: list[dict], out: Path) -> None:
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    models = list(dict.fromkeys(r["model"] for r in rows))
    colours = dict(zip(models, colormaps["tab10"].colors, strict=False))
    fig = Figure(figsize=(10, 3.6))
    axes = fig.subplots(1, 3, sharey=True)
    for ax, key, title in zip(
        axes,
        ("isolated_kept", "close_found", "distant_found"),
        ("isolated called isolated", "close blends found", "distant blends found"),
        strict=True,
    ):
        for model in models:
            for recentre, style in ((False, "o--"), (True, "s-")):
                part = [r for r in rows if r["model"] == model and r["recentre"] == recentre]
                part.sort(key=lambda r: r["radius"])
                ax.errorbar(
                    [r["radius"] for r in part],
                    [100 * r[key]["rate"] for r in part],
                    [100 * r[key]["se"] for r in part],
                    fmt=style,
                    color=colours[model],
                    capsize=3,
                    label=f"{model}, {'re-centred' if recentre else 'as cut'}",
                )
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("central galaxy off the centre pixel (px)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("per cent (± binomial s.e.)")
    axes[0].legend(fontsize=7)
    fig.suptitle("realistic stamps (σ 14.5) off-centre, p ≥ the model's threshold", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    raise SystemExit(main())
