"""Every figure of a campaign: the paper's (Figs. 3-6: accuracy against separation and
noise, relative accuracy and confusion on the realistic set), a gallery of example
stamps, and those beyond the paper (learning curve, accuracy against companion
brightness, ROC, reliability, purity, the pre-training ablation), plus each head's
training history.

Every function takes the workflow's tables (DataFrames, see metrics.py) and
returns a matplotlib Figure, so tests and notebooks can call them without
Snakemake; `save` writes one figure to several formats. Accuracies in the
tables are fractions; the figures show per cent.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch

from blendhunter.evaluation.metrics import REPORTED_SUBSETS

STYLE = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linestyle": ":",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,
}
BH = {"color": "black", "label": "BlendHunter"}
SEP = {"color": "tab:blue", "label": "SEP"}
TPR_COLOR, TNR_COLOR = "tab:green", "tab:red"
SUBSET_STYLE = {
    "all": {"color": "black", "marker": "o", "label": "all stamps"},
    "close": {"color": "tab:orange", "marker": "s", "label": "close blends"},
    "distant": {"color": "tab:purple", "marker": "^", "label": "distant blends"},
}
SIGMA = r"$\sigma_\mathrm{noise}$"


def subplots(nrows: int = 1, ncols: int = 1, *, figsize=None, constrained_layout=False, **kwargs):
    """pyplot.subplots without pyplot: a figure of its own, drawn by Agg whatever the
    backend, so a notebook's backend and figure list are left alone."""
    fig = Figure(figsize=figsize, constrained_layout=constrained_layout)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def save(fig, paths) -> None:
    """Write `fig` to each path (format from the extension)."""
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with matplotlib.rc_context(STYLE):
            fig.savefig(path, dpi=STYLE["savefig.dpi"], bbox_inches="tight")


def _sigma_text(sigma: float) -> str:
    return f"{float(sigma):g}"


def _grid(n: int, max_cols: int = 4, size=(3.2, 2.7)):
    cols = min(max_cols, max(n, 1))
    rows = math.ceil(max(n, 1) / cols)
    fig, axes = subplots(
        rows, cols, figsize=(size[0] * cols, size[1] * rows), sharex=True, sharey=True, squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes


def _mean_std(frame: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    """Mean and sample std over realisations (std 0 when there is one)."""
    grouped = frame.groupby(by)[column]
    out = pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=1), "count": grouped.count()})
    out["std"] = out["std"].fillna(0.0)
    return out.sort_index()


def pooled_bins(rows: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per method, noise level and bin over the realisations in `rows`: their
    correct answers over their scored blends (SEP's failures left out); `n` all blends."""
    keys = ["method", "train_sigma", "bin_lo", "bin_hi", "bin_centre"]
    sums = rows.groupby(keys, sort=True)[["n", "n_failed", "n_correct"]].sum().reset_index()
    scored = sums["n"] - sums["n_failed"]
    sums["accuracy"] = (sums["n_correct"] / scored.where(scored > 0)).astype(float)
    return sums


def accuracy_vs_separation(
    table: pd.DataFrame, close_separation: float, realisation: int | None = None, dataset: str = "parametric"
):
    """Fig. 3: accuracy on blends vs separation, one panel per sigma, gain shaded.

    `table` is the accuracy_vs_separation table. The paper shows one realisation; a
    small test split has too few close blends for that, so by default the
    realisations are pooled (the same noiseless stamps under independent noise), and
    each panel says how many close blends it holds.
    """
    rows = table[table["dataset"] == dataset]
    if realisation is not None:
        rows = rows[rows["realisation"] == realisation]
    realisations = sorted(rows["realisation"].dropna().unique())
    pooled = pooled_bins(rows)
    sigmas = sorted(pooled["train_sigma"].dropna().unique())
    with matplotlib.rc_context(STYLE):
        fig, axes = _grid(len(sigmas))
        for ax, sigma in zip(axes.flat, sigmas, strict=False):
            at = pooled[pooled["train_sigma"] == sigma]
            bh_rows = at[at["method"] == "blendhunter"]
            bh = bh_rows.set_index("bin_centre")["accuracy"].sort_index() * 100
            sep = at[at["method"] == "sep"].set_index("bin_centre")["accuracy"].sort_index() * 100
            n_close = int(bh_rows.loc[bh_rows["bin_hi"] <= close_separation, "n"].sum())
            # empty bins are NaN: gaps in the lines and in the shading
            both = pd.concat({"bh": bh, "sep": sep}, axis=1)
            ax.fill_between(
                both.index, both["sep"], both["bh"], where=both["bh"] >= both["sep"],
                interpolate=True, color=SEP["color"], alpha=0.25, lw=0,
            )  # fmt: skip
            ax.fill_between(
                both.index, both["sep"], both["bh"], where=both["bh"] < both["sep"],
                interpolate=True, color="tab:red", alpha=0.15, lw=0,
            )  # fmt: skip
            ax.plot(bh.index, bh.values, "-", marker=".", ms=4, color=BH["color"], lw=1.6)
            ax.plot(sep.index, sep.values, "--", marker=".", ms=4, color=SEP["color"], lw=1.6)
            ax.axvline(close_separation, color="0.5", ls=":", lw=1)
            ax.set_title(f"{SIGMA} = {_sigma_text(sigma)} ({n_close} close blends)")
            ax.set_ylim(-3, 103)
            ax.set_xlim(0, rows["bin_hi"].max())
        for ax in axes[-1]:
            ax.set_xlabel("Separation (pixels)")
        for ax in axes[:, 0]:
            ax.set_ylabel("Accuracy on blends (%)")
        handles = [
            Line2D([], [], color=BH["color"], marker=".", lw=1.6, label=BH["label"]),
            Line2D([], [], color=SEP["color"], marker=".", ls="--", lw=1.6, label=SEP["label"]),
            Patch(color=SEP["color"], alpha=0.25, label="BlendHunter gain"),
            Patch(color="tab:red", alpha=0.15, label="BlendHunter loss"),
            Line2D([], [], color="0.5", ls=":", label=f"close / distant ({close_separation:g} px)"),
        ]
        which = (
            f"realisation {int(realisations[0])}"
            if len(realisations) == 1
            else f"{len(realisations)} realisations pooled"
        )
        fig.suptitle(f"Parametric test sets, {which}")
        fig.tight_layout()
        fig.legend(handles=handles, loc="upper center", ncol=len(handles), bbox_to_anchor=(0.5, 0.0))
    return fig


def accuracy_vs_noise(table: pd.DataFrame, subset: str = "all"):
    """Fig. 4: accuracy on the parametric test sets vs sigma, mean +- std over realisations."""
    rows = table[(table["dataset"] == "parametric") & (table["subset"] == subset)]
    with matplotlib.rc_context(STYLE):
        fig, ax = subplots(figsize=(5, 3.6))
        for method, style, marker, ls, shift in (
            ("blendhunter", BH, "o", "-", -0.15),
            ("sep", SEP, "s", "--", 0.15),
        ):
            stats = _mean_std(rows[rows["method"] == method], "train_sigma", "accuracy")
            if stats.empty:
                continue
            ax.errorbar(
                stats.index + shift, stats["mean"] * 100, yerr=stats["std"] * 100,
                color=style["color"], marker=marker, ls=ls, capsize=3, ms=5,
                label=style["label"] + (", failures left out" if method == "sep" else ""),
            )  # fmt: skip
        _sep_failures_counted(ax, rows[rows["method"] == "sep"])
        _sigma_axis(ax, rows["train_sigma"], clamp=True)
        n_real = int(rows["realisation"].nunique())
        ax.set_xlabel(f"Noise standard deviation {SIGMA}")
        ax.set_ylabel("Overall accuracy (%)" if subset == "all" else f"Accuracy, {subset} (%)")
        ax.set_title(f"Parametric test sets: mean $\\pm$ std over {n_real} realisation(s)")
        ax.legend()
        fig.tight_layout()
    return fig


def _sep_failures_counted(ax, sep: pd.DataFrame) -> None:
    """SEP with its failures counted as errors (dotted), each level's failure rate marked."""
    if sep.empty or not sep["n_failed"].any():
        return
    sep = sep.assign(
        counted=sep["accuracy"] * (sep["n"] - sep["n_failed"]) / sep["n"], failed=sep["n_failed"] / sep["n"]
    )
    stats = sep.groupby("train_sigma")[["counted", "failed"]].mean()
    ax.plot(
        stats.index + 0.15, stats["counted"] * 100, color=SEP["color"], ls=":", marker="x", ms=5,
        label="SEP, failures counted as errors",
    )  # fmt: skip
    for sigma, row in stats.iterrows():
        if row["failed"] >= 0.0005:
            ax.annotate(
                f"{100 * row['failed']:.1f}% fail", (sigma + 0.15, row["counted"] * 100), fontsize=7,
                textcoords="offset points", xytext=(0, -12), ha="center", color=SEP["color"],
            )  # fmt: skip


def _sigma_axis(ax, sigmas, clamp: bool = False) -> None:
    """Ticks at the noise levels of the campaign; rates kept within [0, 100] %."""
    sigmas = sorted({float(s) for s in sigmas if pd.notna(s)})
    if 0 < len(sigmas) <= 12:
        ax.set_xticks(sigmas, [_sigma_text(s) for s in sigmas])
    if clamp:
        bottom, top = ax.get_ylim()
        ax.set_ylim(max(bottom, -3), min(top, 103))


def _sep_reference(table: pd.DataFrame, subset: str, column: str = "accuracy") -> float:
    rows = table[(table["method"] == "sep") & (table["subset"] == subset)]
    return float(rows[column].iloc[0]) if len(rows) else math.nan


def relative_accuracy(table: pd.DataFrame, realistic_sigma: float, subsets=("all", "close", "distant")):
    """Fig. 5: BlendHunter minus SEP accuracy (percentage points) on the realistic set vs training sigma."""
    rows = table[(table["dataset"] == "realistic") & (table["method"] == "blendhunter")]
    with matplotlib.rc_context(STYLE):
        fig, ax = subplots(figsize=(5.6, 3.8))
        ax.axhline(0, color="0.3", lw=1)
        shifts = np.linspace(-0.25, 0.25, len(subsets))
        for subset, shift in zip(subsets, shifts, strict=True):
            stats = _mean_std(rows[rows["subset"] == subset], "train_sigma", "gain_vs_sep")
            if stats.empty:
                continue
            style = SUBSET_STYLE.get(subset, {"label": subset})
            sep_acc = _sep_reference(table, subset) * 100
            failed = _sep_reference(table[table["dataset"] == "realistic"], subset, "n_failed")
            ax.errorbar(
                stats.index + shift, stats["mean"] * 100, yerr=stats["std"] * 100, capsize=3, ms=5, ls="-",
                color=style.get("color"), marker=style.get("marker", "o"),
                label=f"{style['label']} (SEP {sep_acc:.1f}%, {failed:.0f} failures left out)",
            )  # fmt: skip
        ax.axvline(
            realistic_sigma, color="0.5", ls=":", lw=1.2, label=f"realistic {SIGMA} = {realistic_sigma:g}"
        )
        _sigma_axis(ax, rows["train_sigma"])
        ax.set_xlabel(f"Training noise standard deviation {SIGMA}")
        ax.set_ylabel("BlendHunter $-$ SEP accuracy\n(percentage points)")
        ax.set_title("Realistic CFIS-like test set")
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(handles[1:] + handles[:1], labels[1:] + labels[:1], loc="best")
        fig.tight_layout()
    return fig


CONFUSION_PANELS = (
    ("close_paired", "Close blends + as many isolated"),
    ("distant_paired", "Distant blends + remaining isolated"),
    ("all", "All stamps"),
)


def confusion(table: pd.DataFrame, realistic_sigma: float):
    """Fig. 6: TPR and TNR vs training sigma on the realistic set; BH solid, SEP dash-dot."""
    rows = table[table["dataset"] == "realistic"]
    bh = rows[rows["method"] == "blendhunter"]
    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(1, 3, figsize=(11, 3.6), sharey=True)
        for ax, (subset, title) in zip(axes, CONFUSION_PANELS, strict=True):
            at = bh[bh["subset"] == subset]
            for column, color, shift in (("tpr", TPR_COLOR, -0.15), ("tnr", TNR_COLOR, 0.15)):
                stats = _mean_std(at, "train_sigma", column)
                if not stats.empty:
                    ax.errorbar(
                        stats.index + shift, stats["mean"] * 100, yerr=stats["std"] * 100,
                        color=color, marker="o", ms=4, capsize=3, ls="-",
                    )  # fmt: skip
                ref = _sep_reference(rows, subset, column)
                if not math.isnan(ref):
                    ax.axhline(ref * 100, color=color, ls="-.", lw=1.4)
            ax.axvline(realistic_sigma, color="0.5", ls=":", lw=1.2)
            _sigma_axis(ax, bh["train_sigma"])
            n = at["n"].iloc[0] if len(at) else (rows[rows["subset"] == subset]["n"].max())
            ax.set_title(f"{title} (n = {int(n) if pd.notna(n) else 0})")
            ax.set_xlabel(f"Training {SIGMA}")
        axes[0].set_ylabel("Rate (%)")
        _sigma_axis(axes[0], bh["train_sigma"], clamp=True)  # y shared: after every panel
        handles = [
            Line2D([], [], color=TPR_COLOR, marker="o", label="BlendHunter TPR (blends)"),
            Line2D([], [], color=TNR_COLOR, marker="o", label="BlendHunter TNR (isolated)"),
            Line2D([], [], color=TPR_COLOR, ls="-.", label="SEP TPR"),
            Line2D([], [], color=TNR_COLOR, ls="-.", label="SEP TNR"),
            Line2D([], [], color="0.5", ls=":", label=f"realistic {SIGMA} = {realistic_sigma:g}"),
        ]
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), bbox_to_anchor=(0.5, 1.0))
        fig.tight_layout()
    return fig


GALLERY_ROWS = (
    ("isolated", "Isolated"),
    ("close", "Close blends"),
    ("distant", "Distant blends"),
    ("misclassified", "Misclassified\nby BlendHunter"),
)


def select_gallery(
    truth: pd.DataFrame, bh_labels: np.ndarray, close_separation: float, per_row: int
) -> pd.DataFrame:
    """Example stamps for the gallery: the first `per_row` of each kind by index.

    `truth` is a metrics.truth_frame, `bh_labels` BlendHunter's encoded labels
    aligned on it. Returns columns index, row, truth, separation, bh_label.
    """
    frame = truth.assign(bh_label=np.asarray(bh_labels, dtype=float)).reset_index()
    blends = frame["truth"] == 1
    kinds = {
        "isolated": ~blends,
        "close": blends & (frame["separation"] < close_separation),
        "distant": blends & (frame["separation"] >= close_separation),
        "misclassified": frame["bh_label"] != frame["truth"],
    }
    picked = [frame[mask].head(per_row).assign(row=kind) for kind, mask in kinds.items()]
    return pd.concat(picked, ignore_index=True)


def gallery(examples: pd.DataFrame, images: dict, per_row: int, match_radius: float = 2.0, title: str = ""):
    """Example stamps as the network sees them (|x| * 255 / max|x|).

    `examples` has columns index, row, truth, bh_label and optional p_blend,
    sep_label, x1, y1, x2, y2 and detections (a list of (x, y) per stamp);
    `images` maps index -> (P, P) levels. True galaxy positions are circled
    (radius = SEP's match radius), SEP detections marked x.
    """
    with matplotlib.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = subplots(
            len(GALLERY_ROWS),
            per_row,
            figsize=(1.75 * per_row + 0.8, 1.95 * len(GALLERY_ROWS)),
            squeeze=False,
        )
        for r, (kind, label) in enumerate(GALLERY_ROWS):
            row = examples[examples["row"] == kind].reset_index(drop=True)
            axes[r, 0].set_ylabel(label, fontsize=10)
            for c in range(per_row):
                ax = axes[r, c]
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(True)
                if c >= len(row):
                    ax.set_facecolor("0.95")
                    continue
                ex = row.iloc[c]
                ax.imshow(images[int(ex["index"])], cmap="gray", origin="lower", vmin=0, vmax=255)
                for key in ("1", "2"):
                    x, y = ex.get(f"x{key}", np.nan), ex.get(f"y{key}", np.nan)
                    if pd.notna(x) and pd.notna(y):
                        ax.add_patch(Circle((x, y), match_radius, fill=False, ec="cyan", lw=1))
                for x, y in ex.get("detections", None) or []:
                    ax.plot(x, y, "x", color="orange", ms=5, mew=1.2)
                correct = ex["bh_label"] == ex["truth"]
                text = "blend" if ex["truth"] == 1 else "isolated"
                if ex["truth"] == 1 and pd.notna(ex.get("separation", np.nan)):
                    text += f", d={ex['separation']:.1f}px"
                lines = [f"#{int(ex['index'])} {text}"]
                p = ex.get("p_blend", np.nan)
                lines.append(f"BH p={p:.2f}" if pd.notna(p) else "BH")
                if isinstance(ex.get("sep_label", None), str):
                    lines[-1] += f", SEP: {ex['sep_label'] or 'failed'}"
                ax.set_title("\n".join(lines), fontsize=7, color="black" if correct else "tab:red")
        handles = [
            Line2D([], [], color="cyan", marker="o", ls="", mfc="none", label="true galaxy position"),
            Line2D([], [], color="orange", marker="x", ls="", label="SEP detection"),
            Patch(color="tab:red", label="red title: BlendHunter wrong"),
        ]
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.legend(handles=handles, loc="upper center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    return fig


def learning_curve(table: pd.DataFrame):
    """Accuracy per subset against training-set size (log axis), one panel per test set;
    SEP as horizontal lines of the same colour."""
    styles = {**SUBSET_STYLE, "isolated": {"color": "tab:green", "marker": "v", "label": "isolated"}}
    datasets = [d for d in ("parametric", "realistic") if d in set(table["dataset"])]
    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(
            1, len(datasets), figsize=(4.6 * len(datasets), 3.6), squeeze=False, constrained_layout=True
        )
        for ax, dataset in zip(axes[0], datasets, strict=True):
            rows = table[table["dataset"] == dataset]
            bh, sep = rows[rows["method"] == "blendhunter"], rows[rows["method"] == "sep"]
            for subset, style in styles.items():
                line = bh[bh["subset"] == subset].sort_values("n_train")
                if line.empty:
                    continue
                ax.plot(line["n_train"], 100 * line["accuracy"], marker=style["marker"], color=style["color"],
                        label=style["label"])  # fmt: skip
                ref = sep[sep["subset"] == subset]["accuracy"]
                if len(ref) and np.isfinite(ref.iloc[0]):
                    ax.axhline(100 * ref.iloc[0], color=style["color"], ls="--", lw=1)
            sigma = bh["train_sigma"].dropna()
            where = f", trained at {SIGMA} = {_sigma_text(sigma.iloc[0])}" if len(sigma) else ""
            ax.set_title(f"{dataset} test set{where}")
            ax.set_xscale("log")
            ax.set_xticks(sorted(bh["n_train"].dropna().unique()))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xlabel("training stamps")
            ax.set_ylabel("accuracy (%)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        handles.append(Line2D([], [], color="0.4", ls="--", lw=1))
        labels.append("SEP (same colour)")
        fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 0.0))
        fig.suptitle("BlendHunter learning curve (solid) against SEP (dashed)")
    return fig


COMPANION_AXIS = {
    "companion_snr": "companion peak / noise $\\sigma$",
    "peak_ratio": "companion peak / central peak",
}


def _bin_label(lo: float, hi: float) -> str:
    return f"> {lo:g}" if not np.isfinite(hi) else f"{lo:g}-{hi:g}"


def _companion_panel(ax, bh: pd.DataFrame, sep: pd.DataFrame, quantity: str, title: str) -> None:
    """BlendHunter (mean over realisations, blends per bin beneath) and SEP per bin."""
    for frame, style, shift in ((bh, BH, -0.08), (sep, SEP, 0.08)):
        if frame.empty:
            continue
        mean = frame.groupby("bin_lo", sort=True).agg(
            accuracy=("accuracy", "mean"), hi=("bin_hi", "first"), n=("n", "first")
        )
        x = np.arange(len(mean))
        ax.plot(x + shift, 100 * mean["accuracy"], marker="o", **style)
        ax.set_xticks(x, [_bin_label(lo, hi) for lo, hi in zip(mean.index, mean["hi"], strict=True)])
        if style is not BH:
            continue
        for xi, (acc, n) in enumerate(zip(mean["accuracy"], mean["n"], strict=True)):
            if np.isfinite(acc):
                offset = {"textcoords": "offset points", "xytext": (0, -12)}
                ax.annotate(f"{n}", (xi, 100 * acc), ha="center", fontsize=7, color="0.4", **offset)
    ax.set_ylim(0, 105)
    ax.set_xlabel(COMPANION_AXIS[quantity])
    ax.set_ylabel("accuracy on blends (%)")
    ax.set_title(title)


def accuracy_vs_companion(table: pd.DataFrame, sigma: float):
    """Accuracy on blends per companion-brightness bin: BlendHunter trained at `sigma`
    (mean over realisations) and SEP, on that sigma's parametric test splits and on the
    realistic set. Numbers beneath BlendHunter's points: blends per bin (one realisation)."""
    quantities = [q for q in COMPANION_AXIS if q in set(table["quantity"])]
    with matplotlib.rc_context(STYLE):
        size = (9.5, 3.4 * len(quantities))
        fig, axes = subplots(len(quantities), 2, figsize=size, squeeze=False, constrained_layout=True)
        for row, quantity in enumerate(quantities):
            for col, dataset in enumerate(("parametric", "realistic")):
                rows = table[(table["quantity"] == quantity) & (table["dataset"] == dataset)]
                at_sigma = np.isclose(rows["train_sigma"], float(sigma))
                bh = rows[(rows["method"] == "blendhunter") & at_sigma]
                sep = rows[rows["method"] == "sep"]
                if dataset == "parametric":  # SEP on the same test splits; realistic: once
                    sep = sep[np.isclose(sep["train_sigma"], float(sigma))]
                title = f"{dataset}, BlendHunter trained at {SIGMA} = {_sigma_text(sigma)}"
                _companion_panel(axes[row][col], bh, sep, quantity, title)
        axes[0][0].legend(loc="lower right")
    return fig


def roc(curves: list[dict], table: pd.DataFrame):
    """ROC on the realistic set: one curve per training sigma (vertical mean over its
    realisations), SEP's single operating point as a marker; right: the high-TPR corner."""
    from blendhunter.evaluation.scores import mean_roc

    sigmas = sorted({c["train_sigma"] for c in curves})
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, max(len(sigmas), 1)))
    real = table[table["dataset"] == "realistic"]
    sep = real[real["method"] == "sep"]
    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(1, 2, figsize=(9.2, 4.0), constrained_layout=True)
        for sigma, colour in zip(sigmas, colours, strict=True):
            grid, tpr = mean_roc([(c["fpr"], c["tpr"]) for c in curves if c["train_sigma"] == sigma])
            heads = real[(real["method"] == "blendhunter") & (real["train_sigma"] == sigma)]
            label = f"trained at {SIGMA} = {_sigma_text(sigma)} (AUC {heads['auc'].mean():.3f})"
            for ax in axes:
                ax.plot(grid, tpr, color=colour, label=label)
        for ax in axes:
            if len(sep):
                ax.plot(sep["fpr"], sep["tpr"], "*", ms=13, color=SEP["color"], label="SEP (its one point)")
            ax.set_xlabel("false-positive rate (isolated called blended)")
            ax.set_ylabel("true-positive rate (blends found)")
        axes[0].plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":")
        axes[0].set(xlim=(0, 1), ylim=(0, 1.01), title="realistic set, mean over realisations")
        axes[1].set(xlim=(0, 0.25), ylim=(0.5, 1.005), title="zoom: the high-purity corner")
        axes[0].legend(loc="lower right")
    return fig


def reliability(table: pd.DataFrame, sigma: float):
    """Reliability diagram of the realistic set: fraction of blends against mean p_blend per
    bin, before and after temperature scaling, with the number of stamps per bin below."""
    kinds = {"raw": {"color": "black", "label": "raw p_blend"},
             "calibrated": {"color": "tab:orange", "label": "temperature-scaled"}}  # fmt: skip
    with matplotlib.rc_context(STYLE):
        fig, (top, bottom) = subplots(
            2, 1, figsize=(4.8, 5.2), sharex=True, height_ratios=(3, 1), constrained_layout=True
        )
        top.plot([0, 1], [0, 1], color="0.6", ls=":", lw=1, label="perfect calibration")
        width = 1.0 / max(len(table) // max(len(kinds), 1), 1)
        for offset, (kind, style) in zip((-0.2, 0.2), kinds.items(), strict=True):
            rows = table[(table["kind"] == kind) & (table["n"] > 0)]
            if rows.empty:
                continue
            label = f"{style['label']} (ECE {100 * rows['ece'].iloc[0]:.1f}%)"
            top.plot(rows["mean_p"], rows["fraction_blended"], "o-", color=style["color"], label=label)
            centres = (rows["bin_lo"] + rows["bin_hi"]) / 2 + offset * width
            bottom.bar(centres, rows["n"], width=0.4 * width, color=style["color"])
        top.set(ylabel="fraction of blends", xlim=(0, 1), ylim=(0, 1),
                title=f"realistic set, ensemble trained at {SIGMA} = {_sigma_text(sigma)}")  # fmt: skip
        top.legend(loc="upper left")
        bottom.set(xlabel="p_blend (mean over the realisations' heads)", ylabel="stamps")
    return fig


def purity(table: pd.DataFrame, sigma: float):
    """Purity and completeness of the blend flag against the survey's blend fraction, on
    the realistic set: BlendHunter (mean over realisations) at p >= 0.5 and at the
    F1-best threshold chosen on the validation split, and SEP."""
    real = table[table["dataset"] == "realistic"]
    heads = real[(real["method"] == "blendhunter") & (real["train_sigma"] == sigma)]
    lines = {
        "BlendHunter, p ≥ 0.5": (heads[heads["threshold_rule"] == "fixed"], "black", "-"),
        "BlendHunter, F1-best threshold": (heads[heads["threshold_rule"] == "f1_validation"], "black", "--"),
        "SEP": (real[real["method"] == "sep"], SEP["color"], "-"),
    }
    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(1, 2, figsize=(8.6, 3.6), sharex=True, constrained_layout=True)
        for label, (rows, colour, ls) in lines.items():
            if rows.empty:
                continue
            mean = rows.groupby("blend_fraction")[["precision", "recall"]].mean()
            for ax, column in zip(axes, ("precision", "recall"), strict=True):
                ax.plot(100 * mean.index, 100 * mean[column], marker="o", color=colour, ls=ls, label=label)
        axes[0].set(ylabel="purity: flagged blends that are blends (%)")
        axes[1].set(ylabel="completeness: blends flagged (%)")
        for ax in axes:
            ax.set_xlabel("blend fraction of the survey (%)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 0.0))
        where = f"BlendHunter trained at {SIGMA} = {_sigma_text(sigma)}"
        fig.suptitle(f"Realistic set reweighted to each blend fraction; {where}")
    return fig


def pretraining(table: pd.DataFrame, sigma: float):
    """Accuracy per subset of heads on ImageNet and on random VGG-16 features, and SEP, on
    both test sets (bars: mean over realisations, ticks: their spread); AUC in the legend."""
    kinds = {
        "imagenet": {"color": "black", "label": "ImageNet VGG-16"},
        "random": {"color": "0.6", "label": "random VGG-16"},
        "sep": {"color": SEP["color"], "label": "SEP"},
    }
    subsets = list(REPORTED_SUBSETS)
    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(1, 2, figsize=(9.6, 4.6), sharey=True, constrained_layout=True)
        for ax, dataset in zip(axes, ("parametric", "realistic"), strict=True):
            rows = table[table["dataset"] == dataset]
            for k, (kind, style) in enumerate(kinds.items()):
                part = rows[rows["weights"] == kind]
                stats = _mean_std(part, "subset", "accuracy").reindex(subsets)
                auc = part[part["subset"] == "all"]["auc"].mean()
                label = style["label"] + (f" (AUC {auc:.3f})" if np.isfinite(auc) else "")
                x = np.arange(len(subsets)) + (k - 1) * 0.27
                ax.bar(x, 100 * stats["mean"], 0.25, yerr=100 * stats["std"], color=style["color"],
                       label=label, capsize=2)  # fmt: skip
            ax.set_xticks(np.arange(len(subsets)), subsets)
            ax.set_title(f"{dataset} test set")
            ax.set_ylim(0, 100)
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, fontsize=8)
        axes[0].set_ylabel("accuracy (%)")
        fig.suptitle(f"Does ImageNet pre-training matter? Heads trained at {SIGMA} = {_sigma_text(sigma)}")
    return fig


SHIFT_PANELS = {
    "isolated": "isolated kept isolated",
    "close": "close blends found",
    "distant": "distant blends found",
}


def _models(network: str) -> tuple[dict, str]:
    """The models' line style and name: VGG-16 heads or CNNs trained on the stamps."""
    if network == "cnn":
        return {**BH, "label": "CNN"}, "CNNs"
    return BH, "heads"


def _trained_on(recipe, usual: str) -> str:
    """How the models' training stamps differ from the paper's (layout.training_recipe)."""
    return f"on {' + '.join(recipe)} stamps" if recipe else usual


def centring(table: pd.DataFrame, sigma: float, network: str = "vgg16-head", recipe=()):
    """Isolated galaxies kept isolated, close and distant blends found, against how far the
    central galaxy is from the centre pixel: the models at `sigma` (mean, band: the larger
    of their spread and the binomial s.e.) and SEP (± binomial s.e.)."""
    models, name = _models(network)
    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(1, 3, figsize=(11, 3.8), sharey=True, constrained_layout=True)
        for ax, (subset, title) in zip(axes, SHIFT_PANELS.items(), strict=True):
            for method, style in (("blendhunter", models), ("sep", SEP)):
                rows = table[(table["method"] == method) & (table["subset"] == subset)].sort_values("radius")
                x, y = rows["radius"].to_numpy(), 100 * rows["accuracy_mean"].to_numpy()
                err = 100 * np.maximum(rows["accuracy_std"].to_numpy(), rows["se"].to_numpy())
                ax.errorbar(x, y, yerr=err, color=style["color"], label=style["label"], marker="o", capsize=3)
            ax.set_title(title)
            ax.set_xlabel("central galaxy off the centre pixel (px)")
            ax.set_ylim(0, 100)
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("per cent")
        axes[0].legend(loc="lower left")
        usual = "on centred stamps"
        trained = f"{name} trained at {SIGMA} = {_sigma_text(sigma)} {_trained_on(recipe, usual)}"
        fig.suptitle(f"Off-centre cutouts: {trained}, and SEP")
    return fig


def psf_shift(table: pd.DataFrame, sigma: float, network: str = "vgg16-head", recipe=()):
    """Isolated kept isolated, close and distant blends found, and the models' AUC, on the
    realistic set's galaxies under each PSF ("recipe": the training PSF): the models at
    `sigma` (mean, bars: the larger of their spread and the binomial s.e.) and SEP."""
    models, name = _models(network)
    variants = list(dict.fromkeys(table["variant"]))
    x = np.arange(len(variants))

    def rows(method: str, subset: str) -> pd.DataFrame:
        picked = table[(table["method"] == method) & (table["subset"] == subset)]
        return picked.set_index("variant").reindex(variants)

    with matplotlib.rc_context(STYLE):
        fig, axes = subplots(1, 4, figsize=(14, 3.8), constrained_layout=True)
        for ax, (subset, title) in zip(axes, SHIFT_PANELS.items(), strict=False):
            for offset, (method, style) in ((-0.1, ("blendhunter", models)), (0.1, ("sep", SEP))):
                part = rows(method, subset)
                y = 100 * part["accuracy_mean"].to_numpy()
                err = 100 * np.maximum(part["accuracy_std"].to_numpy(), part["se"].to_numpy())
                style = {"color": style["color"], "label": style["label"]}
                ax.errorbar(x + offset, y, yerr=err, fmt="o", capsize=3, **style)
            ax.set_title(title)
            ax.set_ylabel("per cent")
        auc = rows("blendhunter", "all")
        axes[3].errorbar(x, auc["auc_mean"], yerr=auc["auc_std"], color=models["color"], fmt="o", capsize=3)
        axes[3].set_title(f"the {name}' AUC")
        for ax in axes:
            ax.set_xticks(x, variants, rotation=30, ha="right")
            ax.set_xlim(-0.5, len(variants) - 0.5)
        axes[0].legend(loc="best")
        usual = "with the recipe's PSF"
        trained = f"{name} trained at {SIGMA} = {_sigma_text(sigma)} {_trained_on(recipe, usual)}"
        fig.suptitle(f"PSF shift: {trained}, and SEP")
    return fig
