"""Rule combination: BlendHunter and SEP together ("either", and a logistic combiner),
fitted on each head's validation split, scored on its test split and the realistic set."""

import logging

import pandas as pd

from blendhunter.evaluation import combination, metrics
from blendhunter.evaluation.scores import read_scores
from blendhunter.logs import run
from blendhunter.workflow import layout

log = logging.getLogger(__name__)


def sep_table(truth, path):
    return metrics.aligned_rows(truth, metrics.read_labels(path), str(path))


def head_rows(p, stamps, bh, sep, realistic_set, sigma, r):
    """Every method's rows for one head: fitted on validation, scored on test and realistic."""
    y_val, p_val, truth_val = read_scores(stamps, bh["validation"], "validation")
    sep_val = sep_table(truth_val, sep["validation"])
    threshold = combination.either_threshold(y_val, p_val, metrics.encode(sep_val["label"]))
    weights = combination.fit_logistic(combination.combiner_inputs(p_val, sep_val), y_val)
    log.info("sigma %s real %s: either threshold %.2f, combiner weights %s", sigma, r, threshold, weights)
    out = []
    for dataset, (stamp_path, split, bh_path, sep_path) in {
        "parametric": (stamps, "test", bh["test"], sep["test"]),
        "realistic": (realistic_set, None, bh["realistic"], sep["realistic"]),
    }.items():
        _, p_blend, truth = read_scores(stamp_path, bh_path, split)
        table = sep_table(truth, sep_path)
        sep_labels = metrics.encode(table["label"])
        combined = combination.predict_logistic(weights, combination.combiner_inputs(p_blend, table))
        labels = {
            "blendhunter": (p_blend >= p.threshold).astype(int),
            "sep": sep_labels,
            "either": combination.either(p_blend, sep_labels, threshold),
            "combiner": (combined >= 0.5).astype(int),
        }
        thresholds = {"blendhunter": p.threshold, "either": threshold, "combiner": 0.5}
        ids = {"dataset": dataset, "train_sigma": float(sigma), "realisation": int(r)}
        out += combination.rows(truth, labels, thresholds, p.close_separation, **ids)
    return out


def main(smk):
    inp, p = smk.input, smk.params
    rows = []
    names = (
        "parametric_sets",
        "bh_parametric",
        "bh_validation",
        "bh_realistic",
        "sep_parametric",
        "sep_validation",
    )
    for (sigma, r), paths in layout.by_set(inp, names).items():
        bh = {
            "test": paths["bh_parametric"],
            "validation": paths["bh_validation"],
            "realistic": paths["bh_realistic"],
        }
        sep = {
            "test": paths["sep_parametric"],
            "validation": paths["sep_validation"],
            "realistic": inp.sep_realistic,
        }
        rows += head_rows(p, paths["parametric_sets"], bh, sep, inp.realistic_set, sigma, r)
    table = pd.DataFrame(rows).reindex(columns=list(combination.COLUMNS))
    metrics.write_csv(table, smk.output.per_head)
    metrics.write_csv(combination.summarise(table), smk.output.summary)


run(main, snakemake)  # noqa: F821
