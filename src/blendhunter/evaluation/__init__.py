"""Scoring what the network and SEP say against the truth (paper Sect. 4), and the
figures.

    metrics         accuracy, TPR and TNR per subset (the paper's tables)
    scores          ROC, AUC, calibration, purity, the operating point
    comparison      BlendHunter against SEP with failures both ways, errors, bootstrap
    combination     BlendHunter and SEP together
    sep_baseline    the SEP baseline: detect, then label
    learning_curve  heads trained on nested subsets
    pretraining     ImageNet against random VGG-16 weights
    plots           every figure, each on a Figure of its own
"""

import importlib

MODULES = (
    "metrics",
    "scores",
    "comparison",
    "combination",
    "sep_baseline",
    "learning_curve",
    "pretraining",
    "plots",
)
# The API, imported on first use: a light import for the Snakefile and the CLI.
API = {
    "accuracy_table": "metrics",
    "auc": "scores",
    "binomial_se": "comparison",
}
__all__ = [*MODULES, *API]


def __getattr__(name: str):
    if name in MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in API:
        return getattr(importlib.import_module(f"{__name__}.{API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
