"""Your survey, your model: on a survey-like test image of a preset (its own PSF profile,
random positions, stars), the shipped CFIS model against heads trained from the layer
`blendhunter configure` measured on that image.

    .venv/bin/python benchmarks/surveys.py prepare hsc-i --psf moffat:2.5   # image, layer, heads
    .venv/bin/python benchmarks/surveys.py score hsc-i                      # docs/surveys/hsc-i.json
    .venv/bin/python benchmarks/surveys.py figure                           # docs/surveys/surveys.png

prepare: `blendhunter test-image --survey NAME` (work/surveys/NAME.fits and its truth),
`blendhunter configure` (work/surveys/NAME.yaml, its PSF figure), then the workflow with
config/config.yaml, config/offline.yaml, benchmarks/surveys/small.yaml and that layer,
up to one noise level's head and its validation and test predictions.

score: `blendhunter classify-image` on the image at the truth's galaxy positions
(re-centred, as by default) with each model; the campaign's validation stamps classified
by the shipped model too, so that each model's threshold is chosen on the same validation
split (the one maximising accuracy there). Per model: AUC (bootstrap over sources),
isolated galaxies called blended, close (< 10 px) and distant blends found, at p >= 0.5 and
at that threshold, with binomial errors; the heads' own test split beside; and what
configure measured against the image's truth.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

WORK = Path("work/surveys")
DOCS = Path("docs/surveys")
SHIPPED = "cfis-sigma15"
WEIGHTS = "../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
BASE = ["config/config.yaml", "config/offline.yaml", "benchmarks/surveys/small.yaml"]
BIN = Path(sys.executable).parent
HALF_STAMP, EDGE = 25, 10  # px: a cutout's half width; "just outside" it


def run(*cmd: str) -> str:
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(
            f"{cmd[0]} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def layer_of(name: str) -> dict:
    return yaml.safe_load((WORK / f"{name}.yaml").read_text())


def set_paths(name: str) -> dict:
    from blendhunter.workflow import layout

    cfg = layer_of(name)
    run_paths = layout.Run({"run": cfg["run"]})
    where = {"sigma": f"{cfg['realistic']['sigma']:g}", "realisation": 0}
    return {
        "model": str(Path(run_paths.MODEL_DIR.format(**where)).parent),  # the noise level's heads
        "validation": run_paths.PREDICTIONS_VALIDATION.format(**where),
        "test": run_paths.PREDICTIONS_TEST.format(**where),
        "stamps": run_paths.PARAMETRIC_SET.format(**where),
    }


def prepare(args) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    image, truth, layer = WORK / f"{args.name}.fits", WORK / f"{args.name}.csv", WORK / f"{args.name}.yaml"
    bh = str(BIN / "blendhunter")
    run(bh, "test-image", str(image), str(truth), "--survey", args.name, "--psf", args.psf,
        "--side", str(args.side), "--overwrite", "--configfile", *BASE[:2])  # fmt: skip
    print(run(bh, "configure", str(image), "--output", str(layer), "--overwrite"))
    paths = set_paths(args.name)
    start = time.time()
    run(str(BIN / "snakemake"), paths["validation"], paths["test"], "--cores", "2",
        "--configfile", *BASE, str(layer))  # fmt: skip
    (WORK / f"{args.name}.campaign_seconds").write_text(f"{time.time() - start:.0f}\n")


def rates(label, separation, p, threshold: float, rng, close: float = 10.0) -> dict:
    """AUC (bootstrap error over sources) and, at p >= threshold, isolated called blended,
    close and distant blends found, each with its binomial standard error."""
    from blendhunter.evaluation.scores import auc

    label, p = np.asarray(label, int), np.asarray(p, float)
    boots = [auc(label[i], p[i]) for i in (rng.integers(0, len(p), len(p)) for _ in range(500))]
    out = {"auc": float(auc(label, p)), "auc_se": float(np.nanstd(boots)), "threshold": float(threshold)}
    blended = p >= threshold
    subsets = {
        "isolated_fpr": (label == 0, blended),
        "close_found": ((label == 1) & (separation < close), blended),
        "distant_found": ((label == 1) & (separation >= close), blended),
    }
    for key, (rows, hit) in subsets.items():
        out[key] = binomial(hit[np.asarray(rows)])
    return out


def crowding(image: pd.DataFrame, threshold: float) -> dict:
    """Called blended at p >= threshold by the number of other objects in the cutout
    (the training stamps have 0 or 1), and for isolated galaxies by how far the nearest
    object outside the cutout is (its light reaches in from close by), with binomial errors."""
    isolated = image["n_neighbours"] == 0
    groups = {
        "1": image["n_neighbours"] == 1,
        "2+": image["n_neighbours"] >= 2,
        "0, nearest < 10 px beyond the edge": isolated & (image["box_distance"] <= HALF_STAMP + EDGE),
        "0, nearest farther": isolated & (image["box_distance"] > HALF_STAMP + EDGE),
    }
    blended = image["p_blend"] >= threshold
    return {label: binomial(blended[rows].to_numpy()) for label, rows in groups.items()}


def box_distance(galaxies: pd.DataFrame, objects: pd.DataFrame) -> np.ndarray:
    """Each galaxy's distance (px, the larger of |dx|, |dy|) to the nearest other object:
    over 25 it lies outside the galaxy's 51x51 cutout."""
    dx = np.abs(galaxies["x"].to_numpy()[:, None] - objects["x"].to_numpy()[None, :])
    dy = np.abs(galaxies["y"].to_numpy()[:, None] - objects["y"].to_numpy()[None, :])
    distance = np.maximum(dx, dy)
    distance[distance == 0] = np.inf  # itself
    return distance.min(axis=1)


def binomial(hits: np.ndarray) -> dict:
    """The rate of a boolean array, its binomial standard error and its size."""
    n = len(hits)
    rate = float(hits.mean()) if n else float("nan")
    return {"rate": rate, "se": float(np.sqrt(rate * (1 - rate) / n)) if n else float("nan"), "n": n}


def best_threshold(label, p) -> float:
    """The threshold of highest accuracy on a validation split (ties: the one nearest 0.5)."""
    candidates = np.unique(np.concatenate([p, [0.5]]))
    accuracy = np.array([((p >= t) == label).mean() for t in candidates])
    best = candidates[accuracy == accuracy.max()]
    return float(best[np.argmin(np.abs(best - 0.5))])


def stamps_truth(path: str, split: str) -> pd.DataFrame:
    from blendhunter.simulation.stamps import StampSet

    stamps = StampSet(path)
    rows = stamps.indices(split)
    meta = stamps.meta.iloc[rows]
    return pd.DataFrame(
        {"index": rows, "truth": meta["label"].to_numpy(), "separation": meta["separation"].to_numpy()}
    )


def scored(predictions: str, truth: pd.DataFrame) -> pd.DataFrame:
    return truth.merge(pd.read_csv(predictions)[["index", "p_blend"]], on="index", validate="one_to_one")


def classify_image(name: str, model: str, out: Path) -> pd.DataFrame:
    truth = pd.read_csv(WORK / f"{name}.csv")
    galaxies = truth[truth["kind"] == "galaxy"].reset_index(drop=True)
    galaxies["box_distance"] = box_distance(galaxies, truth)
    catalogue = WORK / f"{name}.catalogue.csv"
    galaxies.assign(id=range(len(galaxies)))[["id", "x", "y"]].to_csv(catalogue, index=False)
    if not out.is_file():
        image = str(WORK / f"{name}.fits")
        run(str(BIN / "blendhunter"), "classify-image", image, "--catalogue", str(catalogue),
            "--model", model, "--vgg16-weights", WEIGHTS, "--output", str(out), "--quiet")  # fmt: skip
    flags = pd.read_csv(out)
    assert (flags["id"].to_numpy() == np.arange(len(galaxies))).all()
    return galaxies.assign(p_blend=flags["p_blend"].to_numpy(), flags=flags["flags"].fillna("").to_numpy())


def measured_against_truth(name: str) -> dict:
    from astropy.io import fits

    from blendhunter.workflow import presets

    preset = yaml.safe_load((Path(presets.FOLDER) / f"{name}.yaml").read_text())
    header = fits.getheader(WORK / f"{name}.fits")
    true_fwhm = float(header["PSF"].split("FWHM")[1].split()[0])
    layer = layer_of(name)
    return {
        "psf": header["PSF"],
        "pixel_scale": [layer["stamp"]["pixel_scale"], preset["stamp"]["pixel_scale"]],
        "fwhm": [layer["psf"]["optical_fwhm"], true_fwhm],
        "beta": layer["psf"]["optical_beta"],
        "sigma": [layer["realistic"]["sigma"], preset["realistic"]["sigma"]],
        "flux_scale": [presets.flux_scale(**layer["flux"]), presets.flux_scale(**preset["flux"])],
    }


def score(args) -> None:
    rng = np.random.default_rng(0)
    paths = set_paths(args.name)
    validation = stamps_truth(paths["stamps"], "validation")
    test = stamps_truth(paths["stamps"], "test")
    shipped_stamps = WORK / f"{args.name}.shipped_stamps.csv"
    if not shipped_stamps.is_file():
        run(str(BIN / "blendhunter"), "classify", "--model", SHIPPED, "--vgg16-weights", WEIGHTS,
            "--output", str(shipped_stamps), "--quiet", paths["stamps"])  # fmt: skip
    models = {
        "shipped": (SHIPPED, scored(str(shipped_stamps), validation), scored(str(shipped_stamps), test)),
        "configured": (paths["model"], scored(paths["validation"], validation), scored(paths["test"], test)),
    }
    result = {"name": args.name, "configure": measured_against_truth(args.name), "models": {}}
    for key, (model, val, tst) in models.items():
        image = classify_image(args.name, model, WORK / f"{args.name}.{key}.csv")
        threshold = best_threshold(val["truth"].to_numpy(), val["p_blend"].to_numpy())
        found = {}
        for label, cut in (("p0.5", 0.5), ("validation", threshold)):
            found[label] = {
                "image": rates(
                    image["label"], image["separation"].fillna(np.inf), image["p_blend"], cut, rng
                ),
                "test_split": rates(tst["truth"], tst["separation"].fillna(np.inf), tst["p_blend"], cut, rng),
            }
        flagged = int((image["flags"] != "").sum())
        result["models"][key] = {"model": model, "n_sources": len(image), "flagged": flagged, **found}
        result["models"][key]["crowding"] = crowding(image, 0.5)
    result["machine"] = f"{platform.machine()} {platform.processor() or ''}".strip()
    seconds = WORK / f"{args.name}.campaign_seconds"
    result["campaign_seconds"] = float(seconds.read_text()) if seconds.is_file() else None
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / f"{args.name}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare")
    prep.add_argument("name")
    prep.add_argument("--psf", default="moffat:2.5")
    prep.add_argument("--side", type=int, default=2000)
    prep.set_defaults(func=prepare)
    sc = commands.add_parser("score")
    sc.add_argument("name")
    sc.set_defaults(func=score)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
