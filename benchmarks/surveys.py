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


def run(*cmd: str) -> str:
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def layer_of(name: str) -> dict:
    return yaml.safe_load((WORK / f"{name}.yaml").read_text())


def set_paths(name: str) -> dict:
    from blendhunter.workflow import layout

    cfg = layer_of(name)
    run_paths = layout.Run({"run": cfg["run"]})
    where = {"sigma": f"{cfg['realistic']['sigma']:g}", "realisation": 0}
    return {
        "model": run_paths.MODEL_DIR.format(**where),
        "validation": run_paths.PREDICTIONS_VALIDATION.format(**where),
        "test": run_paths.PREDICTIONS_TEST.format(**where),
        "stamps": run_paths.PARAMETRIC_SET.format(**where),
    }


def prepare(args) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    image, truth, layer = WORK / f"{args.name}.fits", WORK / f"{args.name}.csv", WORK / f"{args.name}.yaml"
    bh = str(BIN / "blendhunter")
    run(bh, "test-image", str(image), str(truth), "--survey", args.name, "--psf", args.psf,
        "--side", str(args.side), "--overwrite", "--configfile", "config/config.yaml", "config/offline.yaml")  # fmt: skip
    print(run(bh, "configure", str(image), "--output", str(layer), "--overwrite"))
    paths = set_paths(args.name)
    start = time.time()
    run(str(BIN / "snakemake"), paths["validation"], paths["test"], "--cores", "2",
        "--configfile", *BASE, str(layer))  # fmt: skip
    (WORK / f"{args.name}.campaign_seconds").write_text(f"{time.time() - start:.0f}\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare")
    prep.add_argument("name")
    prep.add_argument("--psf", default="moffat:2.5")
    prep.add_argument("--side", type=int, default=2000)
    prep.set_defaults(func=prepare)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
