"""Markdown summary of a campaign's result tables, for the README and docs/reference.

    python -m blendhunter.results_table results/tables          # a finished campaign
    python -m blendhunter.results_table docs/reference/tables    # the committed reference

    # copy a finished campaign's tables and figures into a folder with a MANIFEST
    python -m blendhunter.results_table results/tables --bundle docs/reference \
        --configfile config/config.yaml config/reference.yaml config/offline.yaml \
        --command "snakemake --cores 2 --configfile ..." --wall-seconds 3000

Every number comes from the workflow's own tables (per_sigma_summary.csv,
realistic_accuracy.csv); nothing is typed by hand. Accuracies are per cent: the mean
over realisations, with the standard deviation between them, and for the realistic
set the binomial standard error of SEP's accuracy on the same stamps.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

SUBSETS = ("all", "close", "distant", "isolated")


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{100 * value:.1f}"


def _binomial_se(p: float, n: float) -> float:
    return math.sqrt(p * (1 - p) / n) if n and not pd.isna(p) else math.nan


def realistic_rows(per_sigma: pd.DataFrame) -> list[str]:
    """One row per training sigma (BlendHunter) and one for SEP, per subset."""
    rows = per_sigma[per_sigma["dataset"] == "realistic"]
    bh = rows[rows["method"] == "blendhunter"]
    sep = rows[rows["method"] == "sep"].drop_duplicates("subset").set_index("subset")
    lines = ["| realistic set | " + " | ".join(SUBSETS) + " |", "|---" * (len(SUBSETS) + 1) + "|"]
    for sigma, group in bh.groupby("sigma"):
        by = group.set_index("subset")
        cells = [f"{_pct(by.loc[s, 'accuracy_mean'])} ± {_pct(by.loc[s, 'accuracy_std'])}" for s in SUBSETS]
        lines.append(f"| BlendHunter, trained at σ {sigma:g} | " + " | ".join(cells) + " |")
    accuracy, n = sep["accuracy_mean"], sep["n_mean"]
    cells = [f"{_pct(accuracy[s])} ± {_pct(_binomial_se(accuracy[s], n[s]))}" for s in SUBSETS]
    lines.append("| SEP (± binomial s.e.) | " + " | ".join(cells) + " |")
    n = [f"{int(sep.loc[s, 'n_mean'])}" for s in SUBSETS]
    lines.append("| stamps | " + " | ".join(n) + " |")
    return lines


def parametric_rows(per_sigma: pd.DataFrame) -> list[str]:
    """BlendHunter vs SEP per sigma on the parametric test splits, all and close blends."""
    rows = per_sigma[per_sigma["dataset"] == "parametric"].set_index(["sigma", "method", "subset"])
    lines = [
        "| parametric test split, σ | BH all | SEP all | BH close | SEP close | BH distant | SEP distant |",
        "|---|---|---|---|---|---|---|",
    ]
    for sigma in sorted({s for s, _, _ in rows.index}):
        cells = [
            _pct(rows.loc[(sigma, method, subset), "accuracy_mean"])
            for subset in ("all", "close", "distant")
            for method in ("blendhunter", "sep")
        ]
        lines.append(f"| {sigma:g} | " + " | ".join(cells) + " |")
    return lines


def learning_curve_rows(curve: pd.DataFrame) -> list[str]:
    rows = curve[(curve["dataset"] == "realistic") & (curve["method"] == "blendhunter")]
    sep = curve[(curve["dataset"] == "realistic") & (curve["method"] == "sep")].set_index("subset")
    lines = ["| n_train (realistic set) | " + " | ".join(SUBSETS) + " |", "|---" * (len(SUBSETS) + 1) + "|"]
    for n, group in rows.groupby("n_train"):
        by = group.set_index("subset")
        lines.append(f"| {int(n):,} | " + " | ".join(_pct(by.loc[s, "accuracy"]) for s in SUBSETS) + " |")
    lines.append("| SEP | " + " | ".join(_pct(sep.loc[s, "accuracy"]) for s in SUBSETS) + " |")
    return lines


def summary(tables: Path) -> str:
    per_sigma = pd.read_csv(tables / "per_sigma_summary.csv")
    parts = realistic_rows(per_sigma) + [""] + parametric_rows(per_sigma)
    curve = tables / "learning_curve.csv"
    if curve.exists():
        parts += [""] + learning_curve_rows(pd.read_csv(curve))
    return "\n".join(parts) + "\n"


def bundle(tables: Path, out: Path, configfiles: list[Path], command: str, wall_seconds: float) -> None:
    """Tables (CSV), figures (PNG), summary.md and a MANIFEST of how they were made."""
    import datetime
    import json
    import shutil

    from . import config as bh_config
    from .benchmarks import cpu_info
    from .io import versions

    figures = tables.parent / "figures"
    for folder, pattern in ((out / "tables", tables.glob("*.csv")), (out / "figures", figures.glob("*.png"))):
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(pattern):
            shutil.copy(path, folder / path.name)
    (out / "summary.md").write_text(summary(tables))
    cfg = bh_config.load(*configfiles)
    manifest = {
        "command": command,
        "configfiles": [str(p) for p in configfiles],
        "config_sha256": bh_config.digest(cfg),
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_info(),
        "wall_seconds": round(wall_seconds),
        "versions": versions(),
        "config": cfg,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", type=Path, help="a campaign's results/tables directory")
    parser.add_argument("--bundle", type=Path, help="copy tables and figures here, with a MANIFEST")
    parser.add_argument("--configfile", type=Path, nargs="+", default=[], help="the run's config files")
    parser.add_argument("--command", default="", help="the command that made the campaign")
    parser.add_argument("--wall-seconds", type=float, default=0.0, help="its wall time")
    args = parser.parse_args(argv)
    if args.bundle:
        bundle(args.tables, args.bundle, args.configfile, args.command, args.wall_seconds)
    sys.stdout.write(summary(args.tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
