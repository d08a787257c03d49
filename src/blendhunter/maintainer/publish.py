"""Markdown from a campaign's result tables: the summary of a bundle, and every generated
section of the README and docs (`make docs` rewrites them from the committed bundles,
`make bundle` copies a finished campaign into one; `python -m blendhunter.maintainer`).

Every number comes from the workflow's own tables (per_sigma_summary.csv,
realistic_accuracy.csv); nothing is typed by hand. Accuracies are per cent: the mean
over realisations, with the standard deviation between them, and for the realistic
set the binomial standard error of SEP's accuracy on the same stamps.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from blendhunter.evaluation.comparison import binomial_se, combined_se, paired_accuracy_difference
from blendhunter.evaluation.metrics import REPORTED_SUBSETS, nearest_sigma


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{100 * value:.1f}"


def _sep_counted(accuracy: float, n: float, failed: float) -> float:
    """SEP's accuracy with its failures counted as errors (accuracy leaves them out)."""
    return accuracy * (n - failed) / n if n else math.nan


def realistic_rows(per_sigma: pd.DataFrame) -> list[str]:
    """One row per training sigma (BlendHunter) and SEP's, both ways, per subset."""
    rows = per_sigma[per_sigma["dataset"] == "realistic"]
    bh = rows[rows["method"] == "blendhunter"]
    sep = rows[rows["method"] == "sep"].drop_duplicates("subset").set_index("subset")
    lines = [
        "| realistic set | " + " | ".join(REPORTED_SUBSETS) + " |",
        "|---" * (len(REPORTED_SUBSETS) + 1) + "|",
    ]
    for sigma, group in bh.groupby("sigma"):
        by = group.set_index("subset")
        cells = [
            _mean_spread(by.loc[s, "accuracy_mean"], by.loc[s, "accuracy_std"], by.loc[s, "n_mean"])
            for s in REPORTED_SUBSETS
        ]
        lines.append(f"| BlendHunter, trained at σ {sigma:g} | " + " | ".join(cells) + " |")
    accuracy, n, failed = sep["accuracy_mean"], sep["n_mean"], sep["n_failed_mean"]
    cells = [
        f"{_pct(accuracy[s])} ± {_pct(binomial_se(accuracy[s], n[s] - failed[s]))}" for s in REPORTED_SUBSETS
    ]
    lines.append("| SEP, failures left out (± binomial s.e.) | " + " | ".join(cells) + " |")
    counted = [_sep_counted(accuracy[s], n[s], failed[s]) for s in REPORTED_SUBSETS]
    cells = [
        f"{_pct(c)} ± {_pct(binomial_se(c, n[s]))}" for c, s in zip(counted, REPORTED_SUBSETS, strict=True)
    ]
    lines.append("| SEP, failures counted as errors | " + " | ".join(cells) + " |")
    lines.append("| SEP failures | " + " | ".join(f"{int(failed[s])}" for s in REPORTED_SUBSETS) + " |")
    n = [f"{int(sep.loc[s, 'n_mean'])}" for s in REPORTED_SUBSETS]
    lines.append("| stamps | " + " | ".join(n) + " |")
    return lines


def parametric_rows(per_sigma: pd.DataFrame) -> list[str]:
    """BlendHunter vs SEP per sigma on the parametric test splits, with SEP's failures."""
    rows = per_sigma[per_sigma["dataset"] == "parametric"].set_index(["sigma", "method", "subset"])
    lines = [
        "| parametric test split, σ | BH all | SEP all | SEP all, failures counted | SEP failures "
        "| BH close | SEP close | BH distant | SEP distant |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sigma in sorted({s for s, _, _ in rows.index}):

        def acc(method, subset, sigma=sigma):
            return rows.loc[(sigma, method, subset), "accuracy_mean"]

        sep_all = rows.loc[(sigma, "sep", "all")]
        counted = _sep_counted(sep_all["accuracy_mean"], sep_all["n_mean"], sep_all["n_failed_mean"])
        cells = [_pct(acc("blendhunter", "all")), _pct(acc("sep", "all")), _pct(counted)]
        cells.append(f"{sep_all['n_failed_mean']:.0f} of {sep_all['n_mean']:.0f}")
        cells += [_pct(acc(m, s)) for s in ("close", "distant") for m in ("blendhunter", "sep")]
        lines.append(f"| {sigma:g} | " + " | ".join(cells) + " |")
    return lines


def learning_curve_rows(curve: pd.DataFrame) -> list[str]:
    rows = curve[(curve["dataset"] == "realistic") & (curve["method"] == "blendhunter")]
    sep = curve[(curve["dataset"] == "realistic") & (curve["method"] == "sep")].set_index("subset")
    lines = [
        "| n_train (realistic set) | " + " | ".join(REPORTED_SUBSETS) + " |",
        "|---" * (len(REPORTED_SUBSETS) + 1) + "|",
    ]
    for n, group in rows.groupby("n_train"):
        by = group.set_index("subset")
        lines.append(
            f"| {int(n):,} | " + " | ".join(_pct(by.loc[s, "accuracy"]) for s in REPORTED_SUBSETS) + " |"
        )
    lines.append("| SEP | " + " | ".join(_pct(sep.loc[s, "accuracy"]) for s in REPORTED_SUBSETS) + " |")
    return lines


def summary(tables: Path) -> str:
    per_sigma = pd.read_csv(tables / "per_sigma_summary.csv")
    parts = realistic_rows(per_sigma) + [""] + parametric_rows(per_sigma)
    curve = tables / "learning_curve.csv"
    if curve.exists():
        parts += [""] + learning_curve_rows(pd.read_csv(curve))
    return "\n".join(parts) + "\n"


def bundle(tables: Path, out: Path, configfiles: list[Path], command: str, wall_seconds: float) -> None:
    """Tables (CSV), figures (PNG), summary.md and a MANIFEST of how they were made, written
    into a temporary folder and renamed into place whole: an interrupted re-bundle leaves
    the old bundle or none, never new tables under an old MANIFEST."""
    import os
    import shutil

    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write_bundle(tables, tmp, configfiles, command, wall_seconds)
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_bundle(
    tables: Path, out: Path, configfiles: list[Path], command: str, wall_seconds: float
) -> None:
    import datetime
    import json
    import shutil

    from blendhunter.io import versions
    from blendhunter.network.machine import cpu_info
    from blendhunter.workflow import config as bh_config

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


RESULTS_BEGIN = "<!-- results:begin (generated by make docs) -->"
RESULTS_END = "<!-- results:end -->"
BENCHMARK_JSON = "benchmarks/features_throughput.json"  # from the repository root
# The paper's numbers (its Sect. 4 and Figs. 4-6), quoted for comparison, not measured here.
PAPER_ROWS = [
    "| paper: SEP | 91 | 69 | 94 | - |",
    "| paper: BlendHunter near σ 14.5 | > 90, SEP + a few | SEP + 5 to 15 | about SEP | below SEP |",
]


def difference_se(bh: pd.Series, sep: pd.Series, counted: bool = False, models: int | None = None) -> float:
    """The s.e. of BlendHunter (the mean over its heads, or `models` of them: 1 for one
    head) minus SEP: `comparison.combined_se` of BlendHunter's binomial s.e., its spread
    between realisations and SEP's binomial s.e. on the stamps it scored (all of them
    when its failures count as errors)."""
    sep_n = sep["n_mean"] if counted else sep["n_mean"] - sep["n_failed_mean"]
    sep_acc = (
        _sep_counted(sep["accuracy_mean"], sep["n_mean"], sep["n_failed_mean"])
        if counted
        else sep["accuracy_mean"]
    )
    spread = 0.0 if pd.isna(bh["accuracy_std"]) else bh["accuracy_std"]
    models = int(bh["n_realisations"]) if models is None else models
    variance = binomial_se(bh["accuracy_mean"], bh["n_mean"]) ** 2
    return combined_se(variance, spread, models, binomial_se(sep_acc, sep_n))


def nearest_trained(per_sigma: pd.DataFrame, realistic_sigma: float) -> float:
    """The training sigma of a campaign's table nearest the realistic set's."""
    rows = per_sigma[(per_sigma["dataset"] == "realistic") & (per_sigma["method"] == "blendhunter")]
    return float(nearest_sigma([f"{v:g}" for v in rows["sigma"].unique()], realistic_sigma))


def headline(per_sigma: pd.DataFrame, realistic_sigma: float) -> str:
    """BlendHunter minus SEP on the realistic set at the training sigma nearest the realistic
    one, with its combined uncertainty, SEP's failures left out and counted."""
    rows = per_sigma[per_sigma["dataset"] == "realistic"]
    sigma = nearest_trained(per_sigma, realistic_sigma)
    bh = rows[(rows["method"] == "blendhunter") & (rows["sigma"] == sigma)].set_index("subset")
    sep = rows[rows["method"] == "sep"].drop_duplicates("subset").set_index("subset")
    parts = []
    for subset in REPORTED_SUBSETS:
        b, s = bh.loc[subset], sep.loc[subset]
        gain = 100 * (b["accuracy_mean"] - s["accuracy_mean"])
        counted = 100 * (
            b["accuracy_mean"] - _sep_counted(s["accuracy_mean"], s["n_mean"], s["n_failed_mean"])
        )
        parts.append(
            f"{subset} {gain:+.1f} ± {100 * difference_se(b, s):.1f} (one head ± "
            f"{100 * difference_se(b, s, models=1):.1f}; {counted:+.1f} ± "
            f"{100 * difference_se(b, s, counted=True):.1f} with SEP's failures as errors)"
        )
    heads = int(bh["n_realisations"].iloc[0])
    models = f"the mean of {heads} heads" if heads > 1 else "one model"
    return (
        f"BlendHunter trained at σ {sigma:g} ({models}) minus SEP, realistic set, "
        "points ± the mean's s.e. (BlendHunter's binomial s.e., its spread between realisations "
        "/ √heads, SEP's binomial s.e.; one head's, with the whole spread, beside it): "
        + "; ".join(parts)
        + "."
    )


def comparison_lines(tables: Path, sigma: float) -> list[str]:
    """The matched operating point, the galaxy bootstrap and BlendHunter + SEP, when the
    bundle has those tables (sep_comparison_summary.csv, combination_summary.csv)."""
    lines = []
    path = tables / "sep_comparison_summary.csv"
    if path.exists():
        table = pd.read_csv(path)
        at = table[(table["train_sigma"] == sigma) & (table["dataset"] == "realistic")].set_index("subset")
        cells = [
            f"{s} {_pct(at.loc[s, 'bh_matched_accuracy'])} (SEP {_pct(at.loc[s, 'sep_accuracy'])}, "
            f"{100 * at.loc[s, 'matched_difference']:+.1f} ± {100 * at.loc[s, 'matched_difference_se']:.1f}, "
            f"one head ± {100 * at.loc[s, 'matched_difference_se_one_model']:.1f})"
            for s in ("close", "distant")
        ]
        boot = [
            f"{s} ± {100 * at.loc[s, 'difference_se_galaxies']:.1f} (binomial and spread / √heads: "
            f"± {100 * at.loc[s, 'difference_se']:.1f})"
            for s in REPORTED_SUBSETS
        ]
        lines += [
            f"- At SEP's false-positive rate ({_pct1(at.loc['all', 'sep_fpr'])} of the realistic isolated "
            f"stamps), BlendHunter trained at σ {sigma:g} finds: " + "; ".join(cells) + ".",
            "- Bootstrap over the realistic set's real galaxies, s.e. of BlendHunter minus SEP (points): "
            + "; ".join(boot)
            + ".",
        ]
    path = tables / "combination_summary.csv"
    if path.exists():
        table = pd.read_csv(path)
        at = table[(table["train_sigma"] == sigma) & (table["dataset"] == "realistic")]
        at = at.set_index(["method", "subset"])

        def cells(method):
            rows = at.loc[method]
            combined = (rows["se"] ** 2 + rows["spread"] ** 2) ** 0.5
            return ", ".join(
                f"{s} {_pct(rows.loc[s, 'accuracy'])} ± {_pct(combined[s])}" for s in REPORTED_SUBSETS
            )

        threshold = at.loc[("either", "all"), "threshold"]
        lines.append(
            f"- BlendHunter and SEP together (realistic set, σ {sigma:g} heads, fitted on the validation "
            f'splits): "SEP or p ≥ {threshold:.2f}" {cells("either")}; the logistic combiner '
            f"{cells('combiner')}; SEP alone {cells('sep')}."
        )
    return lines


def _pct1(value: float) -> str:
    return f"{100 * value:.1f}%"


def beyond_lines(tables: Path, sigma: float, threshold: float) -> list[str]:
    """AUC, calibration, purity at the lowest survey blend fraction and the pre-training
    ablation, at `sigma` (heads at p >= `threshold`), when the bundle has those tables."""
    from blendhunter.evaluation.scores import FRACTIONS

    fraction = FRACTIONS[0]
    lines = []
    if (tables / "roc_auc.csv").exists():
        roc = pd.read_csv(tables / "roc_auc.csv")
        real = roc[(roc["dataset"] == "realistic") & (roc["train_sigma"] == sigma)]
        heads, ensemble = real[real["method"] == "blendhunter"], real[real["method"] == "ensemble"]
        sep = roc[(roc["dataset"] == "realistic") & (roc["method"] == "sep")].iloc[0]
        lines.append(
            f"- ROC (realistic set, trained at σ {sigma:g}): AUC {heads['auc'].mean():.3f} per head, "
            f"{ensemble['auc'].iloc[0]:.3f} for the ensemble of its realisations; SEP's one operating point "
            f"is TPR {_pct1(sep['tpr'])} at FPR {_pct1(sep['fpr'])}, BlendHunter's at p ≥ {threshold:g} "
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
        at = pur[(pur["dataset"] == "realistic") & (pur["blend_fraction"] == fraction)]
        heads = at[(at["method"] == "blendhunter") & (at["train_sigma"] == sigma)]
        rules = {rule: heads[heads["threshold_rule"] == rule] for rule in ("fixed", "f1_validation")}
        pr = {rule: (_pct1(r["precision"].mean()), _pct1(r["recall"].mean())) for rule, r in rules.items()}
        sep = at[at["method"] == "sep"].iloc[0]
        lines.append(
            f"- At a {fraction:.0%} blend fraction (realistic set reweighted): purity {pr['fixed'][0]} and "
            f"completeness {pr['fixed'][1]} at p ≥ {threshold:g}, "
            f"{pr['f1_validation'][0]} and {pr['f1_validation'][1]} at the "
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
    listed = par["realisations"]  # a count, or the realisations themselves
    n_real = len(listed) if isinstance(listed, list) else listed
    model = "CNN" if cfg.get("network", {}).get("kind") == "cnn" else "head"
    return (
        f"{par['n_stamps']:,} parametric stamps per set ({n_train:,} to train each {model}), σ {sigmas}, "
        f"{n_real} realisation{'s' if n_real != 1 else ''}, {real['n_stamps']:,} realistic stamps "
        f"(σ {real['sigma']:g}, flux distribution `{real['flux_distribution']}`); "
        f"{manifest['wall_seconds'] / 60:.1f} min of Snakemake on {cpu['model']} ({cpu['cores']} cores), "
        f"{manifest['date']}, "
        f"commit {manifest.get('commit', 'unknown')[:7]}"
    )


def campaign_section(
    folder: Path, title: str, figures: tuple[str, ...] = (), reference: bool = False
) -> list[str]:
    """A bundle's realistic table, headline, comparison lines (matched operating point, galaxy
    bootstrap, BlendHunter + SEP) and figures; for the `reference` campaign also the paper's
    rows and the lines beyond the paper (AUC, calibration, purity, pre-training)."""
    import json

    manifest = json.loads((folder / "MANIFEST.json").read_text())
    per_sigma = pd.read_csv(folder / "tables" / "per_sigma_summary.csv")
    links = f"[MANIFEST]({folder}/MANIFEST.json), all tables in [summary]({folder}/summary.md)"
    lines = [f"### {title}", "", f"{_campaign_line(manifest)} ({links}).", ""]
    table = realistic_rows(per_sigma)
    lines += table[:-1] + (PAPER_ROWS if reference else []) + table[-1:]
    lines += ["", headline(per_sigma, manifest["config"]["realistic"]["sigma"]), ""]
    nearest = nearest_trained(per_sigma, manifest["config"]["realistic"]["sigma"])
    threshold = manifest["config"]["classify"]["threshold"]
    beyond = beyond_lines(folder / "tables", nearest, threshold) if reference else []
    lines += beyond + comparison_lines(folder / "tables", nearest) + [""]
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
    "onnxruntime/float32": "`onnxruntime` / float32 (reference and paper configs)",
    "onnxruntime/int8": "`onnxruntime` / int8 (**default campaign**)",
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


VARIANTS_BEGIN = "<!-- variants:begin (generated by make docs) -->"
VARIANTS_END = "<!-- variants:end -->"
FAINT_BIN = 3.0  # companions whose noiseless peak is 3-5 sigma: BlendHunter's blind spot


def _faint_recall(companion: pd.DataFrame, method: str, dataset: str, sigma: float) -> str:
    """Share of blends with a 3-5 sigma companion called blended (n_correct / scored);
    SEP's realistic rows carry no training sigma and appear once."""
    rows = companion[
        (companion["quantity"] == "companion_snr")
        & (companion["method"] == method)
        & (companion["dataset"] == dataset)
        & (companion["bin_lo"] == FAINT_BIN)
    ]
    if method == "sep" and dataset == "realistic":
        rows = rows.head(1)
    else:
        rows = rows[rows["train_sigma"] == sigma]
    scored = (rows["n"] - rows["n_failed"]).sum()
    return _pct(rows["n_correct"].sum() / scored) if scored else "-"


def variant_rows(folders: list[Path]) -> list[str]:
    """One row per variant bundle and training sigma (and SEP's on the same stamps):
    realistic AUC, accuracy per subset at p >= 0.5 (± galaxy-bootstrap s.e.), accuracy at
    SEP's false-positive rate (± binomial s.e.), and the share of 3-5 sigma companions found."""
    lines = [
        "| variant | σ | AUC realistic | AUC parametric | all | close | distant | isolated "
        "| close at SEP's FPR | distant at SEP's FPR | 3-5σ companions found, parametric / realistic |",
        "|---" * 11 + "|",
    ]
    sep_rows = {}
    for folder in folders:
        tables = folder / "tables"
        comparison = pd.read_csv(tables / "sep_comparison.csv")
        roc = pd.read_csv(tables / "roc_auc.csv")
        companion = pd.read_csv(tables / "accuracy_vs_companion.csv")
        for sigma, group in comparison.groupby("train_sigma"):
            real = group[group["dataset"] == "realistic"].set_index("subset")
            heads = roc[(roc["method"] == "blendhunter") & (roc["train_sigma"] == sigma)]
            auc = {d: heads[heads["dataset"] == d]["auc"].mean() for d in ("realistic", "parametric")}
            cells = [
                f"{_pct(real.loc[s, 'bh_accuracy'])} ± {_pct(real.loc[s, 'bh_se_galaxies'])}"
                for s in REPORTED_SUBSETS
            ]
            cells += [
                f"{_pct(real.loc[s, 'bh_matched_accuracy'])} ± "
                f"{_pct(binomial_se(real.loc[s, 'bh_matched_accuracy'], real.loc[s, 'n']))}"
                for s in ("close", "distant")
            ]
            faint = [_faint_recall(companion, "blendhunter", d, sigma) for d in ("parametric", "realistic")]
            cells.append(" / ".join(faint))
            lines.append(
                f"| {folder.name} | {sigma:g} | {auc['realistic']:.3f} | {auc['parametric']:.3f} | "
                + " | ".join(cells)
                + " |"
            )
            sep_cells = [
                f"{_pct(real.loc[s, 'sep_accuracy'])} ± {_pct(real.loc[s, 'sep_se_galaxies'])}"
                for s in REPORTED_SUBSETS
            ]
            sep_faint = [_faint_recall(companion, "sep", d, sigma) for d in ("parametric", "realistic")]
            matched = [_pct(real.loc[s, "sep_accuracy"]) for s in ("close", "distant")]
            sep_rows[sigma] = (
                f"| SEP (failures left out) | {sigma:g} | - | - | "
                + " | ".join([*sep_cells, *matched, " / ".join(sep_faint)])
                + " |"
            )
    return lines + [sep_rows[s] for s in sorted(sep_rows)]


PRECISION_BEGIN = "<!-- precision:begin (generated by make docs) -->"
PRECISION_END = "<!-- precision:end -->"
PRECISION_TOLERANCE = 0.005  # a precision may move an accuracy by at most 0.5 points


def _accuracy_rows(folder: Path, sigmas) -> pd.DataFrame:
    tables = [pd.read_csv(folder / "tables" / f"{d}_accuracy.csv") for d in ("parametric", "realistic")]
    rows = pd.concat(tables, ignore_index=True)
    rows = rows[(rows["method"] == "blendhunter") & rows["subset"].isin(REPORTED_SUBSETS)]
    return rows[rows["train_sigma"].isin(sigmas)]


def precision_rows(reference: Path, folders: list[Path]) -> list[str]:
    """Each reduced-precision bundle against the float32 reference bundle on the same
    stamps: accuracy per subset, difference ± combined s.e., and the verdict on the
    'all' rows (|difference| <= 0.5 points and within its s.e.)."""
    import json

    lines = [
        "| precision | σ | set | all (float32 → variant, Δ ± s.e.) | close Δ | distant Δ | isolated Δ "
        "| AUC float32 → variant | within 0.5 and its s.e. |",
        "|---" * 9 + "|",
    ]
    ref_roc = pd.read_csv(reference / "tables" / "roc_auc.csv")
    for folder in folders:
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        precision = manifest["config"]["features"]["precision"]
        variant = _accuracy_rows(folder, manifest["config"]["parametric"]["sigmas"])
        ref = _accuracy_rows(reference, variant["train_sigma"].unique())
        table = paired_accuracy_difference(ref, variant).set_index(["train_sigma", "dataset", "subset"])
        roc = pd.read_csv(folder / "tables" / "roc_auc.csv")
        for (sigma, dataset), group in table.groupby(level=[0, 1]):
            rows = group.droplevel([0, 1])
            delta = {
                s: f"{rows.loc[s, 'difference'] * 100:+.1f} ± {rows.loc[s, 'difference_se'] * 100:.1f}"
                for s in REPORTED_SUBSETS
            }
            auc = [
                r[(r["method"] == "blendhunter") & (r["dataset"] == dataset) & (r["train_sigma"] == sigma)][
                    "auc"
                ].mean()
                for r in (ref_roc, roc)
            ]
            d, se = rows.loc["all", "difference"], rows.loc["all", "difference_se"]
            verdict = "yes" if abs(d) <= PRECISION_TOLERANCE and abs(d) <= se else "**no**"
            lines.append(
                f"| {precision} | {sigma:g} | {dataset} | {_pct(rows.loc['all', 'reference'])} → "
                f"{_pct(rows.loc['all', 'variant'])}, {delta['all']} | {delta['close']} | {delta['distant']} "
                f"| {delta['isolated']} | {auc[0]:.4f} → {auc[1]:.4f} | {verdict} |"
            )
    return lines


SCALE_BEGIN = "<!-- scale:begin (generated by make docs) -->"
SCALE_END = "<!-- scale:end -->"
SCALE_SIGMA = 15.0  # the paper-size set's one noise level
COST_BEGIN = "<!-- cost:begin (generated by make docs) -->"
COST_END = "<!-- cost:end -->"


def _training_stamps(manifest: dict) -> int:
    par = manifest["config"]["parametric"]
    return int(round(par["n_stamps"] * par["split"]["train"]))


def gain_cells(bh: pd.DataFrame, sep: pd.DataFrame) -> dict[str, str]:
    """Per subset: BlendHunter (mean over realisations) - SEP (failures left out, mean over
    its rows), ± the mean's s.e. (`comparison.combined_se`: BlendHunter binomial, spread
    between realisations / √heads, SEP binomial on all the stamps it scored), one head's
    beside it."""
    cells = {}
    for subset in REPORTED_SUBSETS:
        heads, base = bh[bh["subset"] == subset], sep[sep["subset"] == subset]
        p_bh, p_sep = heads["accuracy"].mean(), base["accuracy"].mean()
        spread = heads["accuracy"].std(ddof=1) if len(heads) > 1 else 0.0
        sep_se = binomial_se(p_sep, (base["n"] - base["n_failed"]).sum())
        variance = binomial_se(p_bh, heads["n"].mean()) ** 2
        mean_se, one_se = (combined_se(variance, spread, r, sep_se) for r in (len(heads), 1))
        cells[subset] = (
            f"{_pct(p_bh)} vs {_pct(p_sep)}: {100 * (p_bh - p_sep):+.1f} ± {100 * mean_se:.1f} "
            f"(one head ± {100 * one_se:.1f})"
        )
    return cells


def scale_rows(folders: list[Path], sigma: float = SCALE_SIGMA) -> list[str]:
    """BlendHunter against SEP at one training sigma, one row per bundle and test set, with
    the heads' training-set size: does a larger training set move the gains?"""
    import json

    lines = [
        "| campaign (heads at σ 15) | training stamps | heads | test set "
        "| all | close | distant | isolated |",
        "|---" * 8 + "|",
    ]
    for folder in folders:
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        for dataset in ("parametric", "realistic"):
            table = pd.read_csv(folder / "tables" / f"{dataset}_accuracy.csv")
            at_sigma = (table["train_sigma"] == sigma) | table["train_sigma"].isna()
            bh = table[at_sigma & (table["method"] == "blendhunter")]
            sep = table[at_sigma & (table["method"] == "sep")].drop_duplicates()
            stamps = int(bh[bh["subset"] == "all"]["n"].mean())
            cells = gain_cells(bh, sep)
            lines.append(
                f"| [{folder.name}]({folder}/summary.md) | {_training_stamps(manifest):,} "
                f"| {bh['realisation'].nunique()} | {dataset}, {stamps:,} stamps | "
                + " | ".join(cells[s] for s in REPORTED_SUBSETS)
                + " |"
            )
    return lines


def cost_rows(folder: Path) -> list[str]:
    """A measured campaign against the projection made before it (projection.csv in the
    bundle): per rule, seconds per job projected and measured, and the measured peak
    memory; then the whole run."""
    import json

    measured = pd.read_csv(folder / "benchmarks.csv")
    projected = pd.read_csv(folder / "projection.csv").set_index("rule")
    lines = [
        "| rule | jobs | projected s/job | measured s/job | measured / projected | CPU s/job "
        "| peak memory (MB) |",
        "|---" * 7 + "|",
    ]
    for rule, group in measured.groupby("rule", sort=False):
        before = projected["seconds_per_job"].get(rule, math.nan)
        seconds = group["seconds"].mean()
        ratio = f"{seconds / before:.2f}" if before == before and before > 0 else "-"
        before_text = f"{before:,.0f}" if before == before else "not projected"
        lines.append(
            f"| {rule} | {len(group)} | {before_text} | {seconds:,.0f} | {ratio} "
            f"| {group['cpu_seconds'].mean():,.0f} | {group['max_rss_mb'].max():,.0f} |"
        )
    manifest = json.loads((folder / "MANIFEST.json").read_text())
    hours = projected["wall_hours"].iloc[0]
    wall = manifest["wall_seconds"] / 3600
    lines += [
        "",
        f"The whole run: projected {hours:.2f} h on 2 cores, measured {wall:.2f} h "
        f"(measured / projected {wall / hours:.2f}).",
    ]
    return lines


def disk_rows(folder: Path) -> list[str]:
    """Disk per output folder of a measured campaign (disk.csv in the bundle: path, bytes)."""
    disk = pd.read_csv(folder / "disk.csv")
    lines = ["| output | disk |", "|---|---|"]
    for row in disk.itertuples():
        lines.append(f"| `{row.path}` | {row.bytes / 1e9:.2f} GB |")
    return lines


def replace_between(text: str, begin: str, end: str, lines: list[str]) -> str:
    """`text` with the part between its `begin` and `end` markers replaced by `lines`."""
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} ... {end} markers to replace between")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n" + "\n".join(lines) + f"\n\n{end}{tail}"


def off_centre_cell(folder: Path, method: str) -> str:
    """Isolated galaxies kept isolated 1 and 2 px off centre (± binomial s.e.), from the
    bundle's centring table; '-' for a bundle made before the workflow measured it."""
    from blendhunter.evaluation.shifted import isolated_kept

    path = folder / "tables" / "centring.csv"
    if not path.exists():
        return "-"
    table = pd.read_csv(path)
    kept = [isolated_kept(table, radius, method) for radius in (1.0, 2.0)]
    return " / ".join(f"{_pct(value)} ± {_pct(se)}" for value, se in kept)


def psf_shift_cell(folder: Path, method: str) -> str:
    """Under PSF shift, the worst variant's AUC (models only) and share of isolated galaxies
    called blended (± the larger of spread and binomial s.e.; the training PSF's on the
    same galaxies in brackets), from the bundle's PSF-shift table; '-' for a bundle made
    before the workflow measured it."""
    from blendhunter.evaluation.shifted import worst_shift

    path = folder / "tables" / "psf_shift.csv"
    if not path.exists():
        return "-"
    worst = worst_shift(pd.read_csv(path), method)
    auc = f"{worst['auc']:.3f}" if method != "sep" else "-"
    return f"{auc} / {_pct(worst['fpr'])} ± {_pct(worst['fpr_se'])} ({_pct(worst['reference_fpr'])})"


def _mean_spread(mean: float, spread: float, n: float) -> str:
    """'mean ± spread'; one model has no spread, so its binomial s.e. on n stamps, marked."""
    if pd.isna(spread):
        return f"{_pct(mean)} ± {_pct(binomial_se(mean, n))} (binomial)"
    return f"{_pct(mean)} ± {_pct(spread)}"


def _recipe(cfg: dict) -> str:
    """How a bundle's training stamps differ from the paper's (centred, one PSF)."""
    from blendhunter.workflow.layout import training_recipe

    parts = training_recipe(cfg)
    return f", trained {' + '.join(parts)}" if parts else ""


def _model_name(manifest: dict, link: str) -> str:
    """A bundle's row name: its model kind, and for VGG-16 heads the layer and preprocessing."""
    cfg = manifest["config"]
    if cfg.get("network", {}).get("kind") == "cnn":
        return f"CNN on the stamps, {_training_stamps(manifest):,} per model{_recipe(cfg)} ({link})"
    layer, preprocessing = cfg["features"].get("layer", "block5_pool"), cfg["features"]["preprocessing"]
    return f"BlendHunter, `{layer}`, `{preprocessing}`{_recipe(cfg)} ({link})"


def side_by_side(folders: list[Path]) -> list[str]:
    """The realistic set at the training sigma nearest it, one row per campaign bundle
    (its feature layer named): accuracy per subset (mean ± spread), AUC, and accuracy at
    SEP's false-positive rate where the bundle has the comparison table; SEP last."""
    import json

    lines = [
        "| realistic set, heads at the σ nearest its own | all | close | distant | isolated | AUC "
        "| close at SEP's FPR | distant at SEP's FPR | isolated kept at 1 px / 2 px off "
        "| PSF shift: lowest AUC / most isolated called blended (training PSF's) |",
        "|---" * 10 + "|",
    ]
    sep_row = ""
    for folder in folders:
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        per_sigma = pd.read_csv(folder / "tables" / "per_sigma_summary.csv")
        sigma = nearest_trained(per_sigma, manifest["config"]["realistic"]["sigma"])
        real = per_sigma[(per_sigma["dataset"] == "realistic") & (per_sigma["sigma"] == sigma)]
        bh = real[real["method"] == "blendhunter"].set_index("subset")
        cells = [
            _mean_spread(bh.loc[s, "accuracy_mean"], bh.loc[s, "accuracy_std"], bh.loc[s, "n_mean"])
            for s in REPORTED_SUBSETS
        ]
        roc = pd.read_csv(folder / "tables" / "roc_auc.csv")
        heads = roc[
            (roc["method"] == "blendhunter") & (roc["dataset"] == "realistic") & (roc["train_sigma"] == sigma)
        ]
        cells.append(f"{heads['auc'].mean():.3f}")
        matched = ["-", "-"]
        path = folder / "tables" / "sep_comparison_summary.csv"
        if path.exists():
            table = pd.read_csv(path)
            at = table[(table["dataset"] == "realistic") & (table["train_sigma"] == sigma)].set_index(
                "subset"
            )
            matched = [
                f"{_pct(at.loc[s, 'bh_matched_accuracy'])} ± {_pct(at.loc[s, 'matched_difference_se'])}"
                for s in ("close", "distant")
            ]
        name = _model_name(manifest, f"[{folder.name}]({folder}/summary.md)")
        lines.append(
            f"| {name} | "
            + " | ".join(
                [
                    *cells,
                    *matched,
                    off_centre_cell(folder, "blendhunter"),
                    psf_shift_cell(folder, "blendhunter"),
                ]
            )
            + " |"
        )
        sep = real[real["method"] == "sep"].drop_duplicates("subset").set_index("subset")
        accuracy, scored = sep["accuracy_mean"], sep["n_mean"] - sep["n_failed_mean"]
        sep_cells = [
            f"{_pct(accuracy[s])} ± {_pct(binomial_se(accuracy[s], scored[s]))}" for s in REPORTED_SUBSETS
        ]
        sep_row = (
            "| SEP, failures left out (± binomial s.e.) | "
            + " | ".join(
                [*sep_cells, "-", "-", "-", off_centre_cell(folder, "sep"), psf_shift_cell(folder, "sep")]
            )
            + " |"
        )
    return lines + [sep_row]


def _improvement(folder: Path) -> tuple[str, tuple[str, ...]]:
    """What a bundle beside the reference campaign changes, and the figures that show it."""
    import json

    config = json.loads((folder / "MANIFEST.json").read_text())["config"]
    if config.get("network", {}).get("kind") == "cnn":
        return "a CNN trained on the stamps", ("relative_accuracy_realistic", "learning_curve", "psf_shift")
    return "earlier VGG-16 features", ("relative_accuracy_realistic", "accuracy_vs_companion")


def results_rows(reference: Path, default: Path, benchmark: Path, *improved: Path) -> list[str]:
    """docs/results.md: the reference campaign, each improved one beside it, the default
    campaign and the feature engines' speed."""
    lines = campaign_section(
        reference,
        f"Reference campaign (`config/reference.yaml`, committed in docs/{reference.name}/)",
        ("relative_accuracy_realistic", "learning_curve", "accuracy_vs_companion"),
        reference=True,
    )
    for folder in improved:
        what, figures = _improvement(folder)
        lines += [f"### The paper's method and {what} side by side", ""]
        lines += side_by_side([reference, folder]) + [""]
        lines += campaign_section(
            folder,
            f"Reference campaign with {what} (committed in docs/{folder.name}/)",
            figures,
            reference=True,
        )
    lines += campaign_section(default, f"Default campaign (`make run`, committed in docs/{default.name}/)")
    return lines + ["### Speed", ""] + benchmark_rows(benchmark)


ROBUST_BEGIN = "<!-- robust:begin (generated by make docs) -->"
ROBUST_END = "<!-- robust:end -->"
CNN_BEGIN = "<!-- cnn:begin (generated by make docs) -->"
CNN_END = "<!-- cnn:end -->"


def _rule_cost(folder: Path, rules: tuple[str, ...], sigma: float | None) -> tuple[float, float]:
    """(mean seconds per job, stamps per second) of a bundle's jobs of these rules, at one
    training sigma (None: every job)."""
    table = pd.read_csv(folder / "benchmarks.csv")
    table = table[table["rule"].isin(rules)]
    if sigma is not None:
        table = table[table["wildcards"].str.contains(f"sigma={sigma:g},")]
    return float(table["seconds"].mean()), float(table["units"].sum() / table["seconds"].sum())


def cnn_rows(default: Path, cnn: Path, *robust: Path) -> list[str]:
    """The CNNs beside the paper's method on the same realistic stamps (the default
    campaign's; `robust`: CNNs trained on other stamps, e.g. off-centre): the side-by-side
    table, then what one model costs in each bundle (on its own machine)."""
    import json

    lines = side_by_side([default, cnn, *robust]) + [""]
    sigma = nearest_trained(pd.read_csv(cnn / "tables" / "per_sigma_summary.csv"), SCALE_SIGMA)
    lines += [
        "| one model at σ 15, 6,400 training stamps | training job (s) | scoring, stamps/s | CPU |",
        "|---|---|---|---|",
    ]
    for folder, train, score in (
        (default, ("parametric_features", "train_head"), ("realistic_features",)),
        *((folder, ("train_cnn",), ("predict",)) for folder in (cnn, *robust)),
    ):
        manifest = json.loads((folder / "MANIFEST.json").read_text())
        seconds = sum(_rule_cost(folder, (rule,), sigma)[0] for rule in train)
        rate = _rule_cost(folder, score, None)[1]
        cpu = manifest["cpu"] if isinstance(manifest["cpu"], str) else manifest["cpu"].get("model", "")
        lines.append(f"| {_model_name(manifest, folder.name)} | {seconds:,.0f} | {rate:,.0f} | {cpu} |")
    return lines + ["", _flops_line(json.loads((cnn / "MANIFEST.json").read_text())["config"])]


def _flops_line(cfg: dict) -> str:
    from blendhunter.network import cnn
    from blendhunter.network.features import INPUT_SIZE, VGG16_PLAN

    vgg = cnn.conv_flops(VGG16_PLAN, INPUT_SIZE, 3)
    size = cfg["stamp"]["size"]
    own = cnn.conv_flops(cnn.plan(cfg["network"]["cnn"]["filters"]), size, 1)
    return (
        f"One stamp through VGG-16 to `block5_pool` ({INPUT_SIZE}x{INPUT_SIZE}x3) is "
        f"{vgg / 1e9:.2f} GFLOP; through the CNN's convolutions ({size}x{size}x1) {own / 1e9:.2f} "
        f"GFLOP, {vgg / own:.0f}x fewer."
    )


HEADLINE_BEGIN = "<!-- headline:begin (generated by make docs) -->"
HEADLINE_END = "<!-- headline:end -->"
PAPER_SIDE_BY_SIDE = (
    "| paper (Farrens et al. 2022), BlendHunter near σ 14.5 | > 90, SEP + a few | SEP + 5 to 15 "
    "| about SEP | below SEP | - | - | - | - | - |"
)


def headline_rows(reference: Path, recommended: Path, *others: Path) -> list[str]:
    """The README's one table: the paper, the paper's method here, the recommended
    configuration, other model kinds and SEP, with accuracy at SEP's false-positive rate."""
    table = side_by_side([reference, recommended, *others])
    return table[:2] + [PAPER_SIDE_BY_SIDE] + table[2:]
