"""Markdown summary of a campaign's result tables, for the README and docs/reference.

    python -m blendhunter.results_table results/tables          # a finished campaign
    python -m blendhunter.results_table docs/reference/tables    # the committed reference

    # copy a finished campaign's tables and figures into a folder with a MANIFEST
    python -m blendhunter.results_table results/tables --bundle docs/reference \
        --configfile config/config.yaml config/reference.yaml config/offline.yaml \
        --command "snakemake --cores 2 --configfile ..." --wall-seconds 3000

    # rewrite the README's Results section from the committed bundles
    python -m blendhunter.results_table --readme README.md docs/reference docs/default

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

from .metrics import nearest_sigma

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
    roll_up = tables.parent / "benchmarks.csv"  # every job's time and memory
    if roll_up.exists():
        shutil.copy(roll_up, out / "benchmarks.csv")
    (out / "summary.md").write_text(summary(tables))
    cfg = bh_config.load(*configfiles)
    manifest = {
        "command": command,
        "commit": _git_commit(tables),
        "configfiles": [str(p) for p in configfiles],
        "config_sha256": bh_config.digest(cfg),
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_info(),
        "wall_seconds": round(wall_seconds),
        "versions": versions(),
        "config": cfg,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n")


def _git_commit(path: Path) -> str:
    import subprocess

    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


README_BEGIN = "<!-- results:begin (generated by python -m blendhunter.results_table --readme) -->"
README_END = "<!-- results:end -->"
BENCHMARK_JSON = "benchmarks/features_throughput.json"  # beside the README
# The paper's numbers (SPEC section 7), quoted for comparison, not measured here.
PAPER_ROWS = [
    "| paper: SEP | 91 | 69 | 94 | - |",
    "| paper: BlendHunter near σ 14.5 | > 90, SEP + a few | SEP + 5 to 15 | about SEP | below SEP |",
]


def headline(per_sigma: pd.DataFrame, realistic_sigma: float) -> str:
    """BlendHunter minus SEP on the realistic set at the training sigma nearest the realistic one."""
    rows = per_sigma[per_sigma["dataset"] == "realistic"]
    bh = rows[rows["method"] == "blendhunter"]
    sigma = float(nearest_sigma([f"{s:g}" for s in bh["sigma"].unique()], realistic_sigma))
    bh = bh[bh["sigma"] == sigma].set_index("subset")
    sep = rows[rows["method"] == "sep"].drop_duplicates("subset").set_index("subset")
    parts = []
    for subset in SUBSETS:
        gain = 100 * (bh.loc[subset, "accuracy_mean"] - sep.loc[subset, "accuracy_mean"])
        noise = 100 * _binomial_se(sep.loc[subset, "accuracy_mean"], sep.loc[subset, "n_mean"])
        parts.append(f"{subset} {gain:+.1f} (SEP's s.e. {noise:.1f})")
    return f"BlendHunter trained at σ {sigma:g} minus SEP, realistic set, points: " + "; ".join(parts) + "."


def _pct1(value: float) -> str:
    return f"{100 * value:.1f}%"


def beyond_lines(tables: Path, sigma: float) -> list[str]:
    """AUC, calibration, purity at 15% blends and the pre-training ablation, at `sigma`, when
    the bundle has those tables."""
    lines = []
    if (tables / "roc_auc.csv").exists():
        roc = pd.read_csv(tables / "roc_auc.csv")
        real = roc[(roc["dataset"] == "realistic") & (roc["train_sigma"] == sigma)]
        heads, ensemble = real[real["method"] == "blendhunter"], real[real["method"] == "ensemble"]
        sep = roc[(roc["dataset"] == "realistic") & (roc["method"] == "sep")].iloc[0]
        lines.append(
            f"- ROC (realistic set, trained at σ {sigma:g}): AUC {heads['auc'].mean():.3f} per head, "
            f"{ensemble['auc'].iloc[0]:.3f} for the ensemble of its realisations; SEP's one operating point "
            f"is TPR {_pct1(sep['tpr'])} at FPR {_pct1(sep['fpr'])}, BlendHunter's at p ≥ 0.5 "
            f"TPR {_pct1(heads['tpr'].mean())} at FPR {_pct1(heads['fpr'].mean())}."
        )
    if (tables / "calibration.csv").exists():
        cal = pd.read_csv(tables / "calibration.csv")
        heads = cal[(cal["dataset"] == "realistic") & (cal["train_sigma"] == sigma)]
        heads = heads[heads["method"] == "blendhunter"]
        t_range = f"{heads['temperature'].min():.2f}-{heads['temperature'].max():.2f}"
        lines.append(
            f"- Calibration (realistic set): ECE {_pct1(heads['ece_raw'].mean())} raw, "
            f"{_pct1(heads['ece_calibrated'].mean())} after temperature scaling "
            f"(T {t_range}, fitted on the validation splits)."
        )
    if (tables / "purity.csv").exists():
        pur = pd.read_csv(tables / "purity.csv")
        at = pur[(pur["dataset"] == "realistic") & (pur["blend_fraction"] == 0.15)]
        heads = at[(at["method"] == "blendhunter") & (at["train_sigma"] == sigma)]
        rules = {rule: heads[heads["threshold_rule"] == rule] for rule in ("fixed", "f1_validation")}
        pr = {rule: (_pct1(r["precision"].mean()), _pct1(r["recall"].mean())) for rule, r in rules.items()}
        sep = at[at["method"] == "sep"].iloc[0]
        lines.append(
            f"- At a 15% blend fraction (realistic set reweighted): purity {pr['fixed'][0]} and completeness "
            f"{pr['fixed'][1]} at p ≥ 0.5, {pr['f1_validation'][0]} and {pr['f1_validation'][1]} at the "
            f"F1-best threshold chosen on the validation split; SEP {_pct1(sep['precision'])} and "
            f"{_pct1(sep['recall'])}."
        )
    if (tables / "pretraining.csv").exists():
        pre = pd.read_csv(tables / "pretraining.csv")
        real = pre[pre["dataset"] == "realistic"].groupby(["weights", "subset"])
        real = real[["accuracy", "auc", "n"]].mean()

        def acc(w: str, s: str) -> str:
            return _pct1(real.loc[(w, s), "accuracy"])

        def cells(w: str) -> str:
            auc = real.loc[(w, "all"), "auc"]
            return f"all {acc(w, 'all')}, close {acc(w, 'close')}, distant {acc(w, 'distant')}, AUC {auc:.3f}"

        lines.append(
            f"- Pre-training ({real.loc[('imagenet', 'all'), 'n']:,.0f} realistic stamps): ImageNet VGG-16 "
            f"features {cells('imagenet')}; the same network with random weights {cells('random')}; "
            f"SEP all {acc('sep', 'all')}, close {acc('sep', 'close')}."
        )
    return lines


def _campaign_line(manifest: dict) -> str:
    cfg = manifest["config"]
    par, real, cpu = cfg["parametric"], cfg["realistic"], manifest["cpu"]
    n_train = round(par["n_stamps"] * par["split"]["train"])
    sigmas = ", ".join(f"{s:g}" for s in par["sigmas"])
    return (
        f"{par['n_stamps']:,} parametric stamps per set ({n_train:,} to train each head), σ {sigmas}, "
        f"{par['realisations']} realisations, {real['n_stamps']:,} realistic stamps "
        f"(σ {real['sigma']:g}, flux distribution `{real['flux_distribution']}`); "
        f"{manifest['wall_seconds'] / 60:.1f} min of Snakemake on {cpu['model']} ({cpu['cores']} cores), "
        f"{manifest['date']}, "
        f"commit {manifest.get('commit', 'unknown')[:7]}"
    )


def campaign_section(
    folder: Path, title: str, figures: tuple[str, ...] = (), reference: bool = False
) -> list[str]:
    """A bundle's realistic table, headline and figures; for the `reference` campaign also the
    paper's rows and the lines beyond the paper (AUC, calibration, purity, pre-training)."""
    import json

    manifest = json.loads((folder / "MANIFEST.json").read_text())
    per_sigma = pd.read_csv(folder / "tables" / "per_sigma_summary.csv")
    links = f"[MANIFEST]({folder}/MANIFEST.json), all tables in [summary]({folder}/summary.md)"
    lines = [f"### {title}", "", f"{_campaign_line(manifest)} ({links}).", ""]
    table = realistic_rows(per_sigma)
    lines += table[:-1] + (PAPER_ROWS if reference else []) + table[-1:]
    lines += ["", headline(per_sigma, manifest["config"]["realistic"]["sigma"]), ""]
    if reference:
        rows = per_sigma[(per_sigma["dataset"] == "realistic") & (per_sigma["method"] == "blendhunter")]
        nearest = float(
            nearest_sigma(
                [f"{v:g}" for v in rows["sigma"].unique()], manifest["config"]["realistic"]["sigma"]
            )
        )
        lines += beyond_lines(folder / "tables", nearest) + [""]
    lines += [
        f"![{name}]({folder}/figures/{name}.png)"
        for name in figures
        if (folder / "figures" / f"{name}.png").exists()
    ]
    return lines + [""]


BENCHMARK_LABELS = {
    "png": "the paper's PNG files + `image_dataset_from_directory` (TensorFlow)",
    "tensorflow/float32": "`tensorflow` / float32 (the reference)",
    "tensorflow/bfloat16": "`tensorflow` / bfloat16 (opt-in)",
    "onnxruntime/float32": "`onnxruntime` / float32 (**default**)",
    "onnxruntime/int8": "`onnxruntime` / int8 (opt-in)",
}


def benchmark_rows(path: Path) -> list[str]:
    """The features benchmark (benchmarks/features_throughput.json) as a table."""
    import json

    bench = json.loads(path.read_text())
    cpu = bench["cpu"]
    flags = ", ".join(name for name, present in cpu["flags"].items() if present)
    lines = [
        f"VGG-16 features, {bench['n']:,} stamps, one process, {bench.get('date', 'undated')}, "
        f"{cpu['model']} ({cpu['cores']} cores; {flags}); float32 GEMM (numpy) "
        f"{bench['gemm_gflops']:.0f} GFLOP/s, {bench['gflop_per_stamp']} GFLOP per stamp "
        f"(`{bench.get('command', 'benchmarks/features_throughput.py')}`):",
        "",
        "| path | stamps/s | GFLOP/s | vs TensorFlow | vs GEMM | features: max rel. difference |",
        "|---|---|---|---|---|---|",
    ]
    for key, label in BENCHMARK_LABELS.items():
        row = bench["paths"].get(key)
        if row is None:
            continue
        ratios = f"{row['ratio_to_tensorflow']:.2f}x | {row['ratio_to_gemm']:.2f}x"
        lines.append(
            f"| {label} | {row['stamps_per_s']:.0f} | {row['gflops']:.0f} | {ratios} "
            f"| {row['features_vs_tensorflow']['max_rel']:.1g} |"
        )
    return lines


def readme_section(reference: Path, default: Path, benchmark: Path) -> str:
    lines = campaign_section(
        reference,
        "Reference campaign (`config/reference.yaml`, committed in docs/reference/)",
        ("relative_accuracy_realistic", "learning_curve", "accuracy_vs_companion"),
        reference=True,
    )
    lines += campaign_section(default, "Default campaign (`make run`, committed in docs/default/)")
    lines += ["### Speed", ""] + benchmark_rows(benchmark) + [""]
    return "\n".join(lines)


def write_readme(readme: Path, reference: Path, default: Path) -> None:
    text = readme.read_text()
    if README_BEGIN not in text or README_END not in text:
        raise SystemExit(f"{readme}: no {README_BEGIN} ... {README_END} markers to replace between")
    head, rest = text.split(README_BEGIN, 1)
    _, tail = rest.split(README_END, 1)
    section = readme_section(reference, default, readme.parent / BENCHMARK_JSON)
    readme.write_text(f"{head}{README_BEGIN}\n\n{section}\n{README_END}{tail}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", type=Path, nargs="?", help="a campaign's results/tables directory")
    parser.add_argument("--bundle", type=Path, help="copy tables and figures here, with a MANIFEST")
    parser.add_argument("--configfile", type=Path, nargs="+", default=[], help="the run's config files")
    parser.add_argument("--command", default="", help="the command that made the campaign")
    parser.add_argument("--wall-seconds", type=float, default=0.0, help="its wall time")
    parser.add_argument(
        "--readme", type=Path, nargs=3, metavar=("README", "REFERENCE", "DEFAULT"),
        help="rewrite README's Results section from two bundles",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.readme:
        write_readme(*args.readme)
        return 0
    if args.tables is None:
        parser.error("give a results/tables directory, or --readme")
    if args.bundle:
        bundle(args.tables, args.bundle, args.configfile, args.command, args.wall_seconds)
    sys.stdout.write(summary(args.tables))
    return 0


if __name__ == "__main__":
    sys.exit(main())
