"""PSF shift: the shipped models and SEP on the realistic set redrawn with PSFs unlike the
training recipe (the same galaxies, companions and noise; only the PSF differs).

    .venv/bin/python benchmarks/psf_shift.py prepare   # the sets, by the workflow
    .venv/bin/python benchmarks/psf_shift.py score     # docs/psf-shift/psf_shift.json, .png

prepare: for each variant, the workflow (config/config.yaml, config/offline.yaml and a
layer written to work/psf_shift/<variant>.yaml) draws a 2,000-stamp realistic set
(the same galaxies in every variant) with that PSF in results/psfshift/<variant>/
(`run.own_stamps`), and SEP classifies them. Variants: the recipe itself (the
reference), its FWHM 15% wider and narrower (optics and atmosphere both scaled), a
plain Moffat β 2.5 and a Kolmogorov at the recipe's FWHM (`psf.profile`), and a
jittery recipe (the FWHM spread, atmospheric shear and optical ellipticity three,
three and two times the recipe's).

score: each shipped model (`blendhunter classify`), each `--model LABEL=MODEL` (a workflow
model directory, e.g. the CNN of config/variants/cnn.yaml) and SEP on every set: isolated called
blended, close and distant blends found (at the model's threshold) with binomial errors,
and the models' AUC. SEP's failures count as wrong answers (their number is written).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from blendhunter.network import machine

WORK = Path("work/psf_shift")
DOCS = Path("docs/psf-shift")
MODELS = ("cfis-sigma15", "cfis-sigma15-paper")
WEIGHTS = "../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
BASE = ["config/config.yaml", "config/offline.yaml"]
BIN = Path(sys.executable).parent
N_STAMPS = 2000
CLOSE = 10.0  # px


def recipe() -> dict:
    return yaml.safe_load(Path(BASE[0]).read_text())["psf"]


def variants() -> dict[str, dict]:
    """Each variant's `psf` overrides."""
    from blendhunter.simulation.psf import total_fwhm

    psf = recipe()
    fwhm = round(total_fwhm(psf["atmos_fwhm_mean"], psf), 4)

    def scaled(factor: float) -> dict:
        return {
            "optical_fwhm": psf["optical_fwhm"] * factor,
            "atmos_fwhm_mean": psf["atmos_fwhm_mean"] * factor,
        }

    return {
        "recipe": {},
        "fwhm+15%": scaled(1.15),
        "fwhm-15%": scaled(0.85),
        "moffat2.5": {"profile": {"kind": "moffat", "beta": 2.5, "fwhm": fwhm}},
        "kolmogorov": {"profile": {"kind": "kolmogorov", "fwhm": fwhm}},
        "jitter": {
            "atmos_fwhm_std": psf["atmos_fwhm_std"] * 3,
            "atmos_g_std": psf["atmos_g_std"] * 3,
            "optical_e_max": psf["optical_e_max"] * 2,
        },
    }


def label(name: str) -> str:
    return name.replace("+", "p").replace("-", "m").replace("%", "")


def paths(name: str) -> dict:
    from blendhunter.workflow import layout

    run = layout.Run({"run": {"prefix": f"psfshift/{label(name)}", "own_stamps": True}})
    return {"stamps": run.REALISTIC_SET, "sep": run.SEP_REALISTIC}


def run(*cmd: str) -> None:
    print("+", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def prepare(args) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for name, psf in variants().items():
        layer = WORK / f"{label(name)}.yaml"
        layer.write_text(yaml.safe_dump({
            "psf": psf,
            "realistic": {"n_stamps": args.n_stamps},
            "run": {"prefix": f"psfshift/{label(name)}", "own_stamps": True},
        }))  # fmt: skip
        where = paths(name)
        run(
            str(BIN / "snakemake"),
            where["stamps"],
            where["sep"],
            "--cores",
            "2",
            "--configfile",
            *BASE,
            str(layer),
        )


def binomial(hits: np.ndarray) -> dict:
    n = len(hits)
    rate = float(hits.mean()) if n else float("nan")
    return {"rate": rate, "se": float(np.sqrt(rate * (1 - rate) / n)) if n else float("nan"), "n": n}


def subsets(meta: pd.DataFrame) -> dict:
    blend = meta["label"].to_numpy() == 1
    separation = meta["separation"].to_numpy()
    return {
        "isolated_fpr": ~blend,
        "close_found": blend & (separation < CLOSE),
        "distant_found": blend & (separation >= CLOSE),
    }


def rates(meta: pd.DataFrame, called_blended: np.ndarray) -> dict:
    return {key: binomial(called_blended[rows]) for key, rows in subsets(meta).items()}


def score(args) -> None:
    from blendhunter.evaluation.scores import auc
    from blendhunter.simulation.stamps import StampSet

    result = {"n_stamps": None, "variants": {}, "machine": machine.cpu_info()}
    models = {**{name: name for name in MODELS}, **dict(args.model)}
    for name, psf in variants().items():
        where = paths(name)
        meta = StampSet(where["stamps"]).meta.reset_index(drop=True)
        result["n_stamps"] = len(meta)
        found = {"psf": psf}
        sep = pd.read_csv(where["sep"]).sort_values("index")
        failed = sep["failed"].to_numpy() == 1
        blended = sep["label"].to_numpy() == "blended"
        # a failure is a wrong answer: an isolated galaxy not kept, a blend not found
        found["SEP"] = {"failed": int(failed.sum()), **rates(meta, blended | failed)}
        for key in ("close_found", "distant_found"):
            rows = subsets(meta)[key]
            found["SEP"][key] = binomial((blended & ~failed)[rows])
        for model, source in models.items():
            out = WORK / f"{label(name)}.{model}.csv"
            if not out.is_file():
                run(str(BIN / "blendhunter"), "classify", "--model", source, "--vgg16-weights", WEIGHTS,
                    "--output", str(out), "--quiet", where["stamps"])  # fmt: skip
            table = pd.read_csv(out).sort_values("index")
            p = table["p_blend"].to_numpy()
            threshold = 0.5
            found[model] = {"auc": float(auc(meta["label"].to_numpy(), p)), **rates(meta, p >= threshold)}
        result["variants"][name] = found
    DOCS.mkdir(parents=True, exist_ok=True)
    (DOCS / "psf_shift.json").write_text(json.dumps(result, indent=1) + "\n")
    figure(result, DOCS / "psf_shift.png")
    print(json.dumps(result, indent=1))


def figure(result: dict, out: Path) -> None:
    from matplotlib.figure import Figure

    names = list(result["variants"])
    methods = [m for m in result["variants"][names[0]] if m not in ("psf", "SEP")] + ["SEP"]
    width = 0.8 / len(methods)
    fig = Figure(figsize=(12, 3.6))
    axes = fig.subplots(1, 3)
    titles = {"isolated_fpr": "isolated called blended (%)", "close_found": "close blends found (%)",
              "distant_found": "distant blends found (%)"}  # fmt: skip
    for ax, (key, title) in zip(axes, titles.items(), strict=True):
        for k, method in enumerate(methods):
            cells = [result["variants"][n][method][key] for n in names]
            x = np.arange(len(names)) + (k - (len(methods) - 1) / 2) * width
            ax.bar(
                x, [100 * c["rate"] for c in cells], width, yerr=[100 * c["se"] for c in cells], label=method
            )
        ax.set_xticks(np.arange(len(names)), names, rotation=30, fontsize=8)
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"PSF shift: {result['n_stamps']} realistic stamps drawn with each PSF", fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prep = commands.add_parser("prepare")
    prep.add_argument("--n-stamps", type=int, default=N_STAMPS)
    prep.set_defaults(func=prepare)
    scoring = commands.add_parser("score")
    scoring.add_argument(
        "--model", action="append", default=[], type=lambda text: text.split("=", 1),
        metavar="LABEL=MODEL", help="a model directory to score too, under LABEL",
    )  # fmt: skip
    scoring.set_defaults(func=score)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
