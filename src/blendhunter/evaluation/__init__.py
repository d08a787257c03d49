"""Scoring what the network and SEP say against the truth (paper Sect. 4), and the
figures.

    metrics         accuracy, TPR and TNR per subset (the paper's tables)
    scores          ROC, AUC, calibration, purity, the operating point
    comparison      BlendHunter against SEP with failures both ways, errors, bootstrap
    combination     BlendHunter and SEP together
    sep_baseline    the SEP baseline: detect, then label
    learning_curve  heads trained on nested subsets
    pretraining     ImageNet against random VGG-16 weights
    shifted         the centring and PSF-shift axes: the same galaxies, one thing changed
    plots           every figure, each on a Figure of its own
"""

from blendhunter import lazy_exports

MODULES = (
    "metrics",
    "scores",
    "comparison",
    "combination",
    "sep_baseline",
    "learning_curve",
    "pretraining",
    "shifted",
    "plots",
)
# The API, imported on first use: a light import for the Snakefile and the CLI.
API = {
    "accuracy_table": "metrics",
    "auc": "scores",
    "binomial_se": "comparison",
}
__all__ = [*MODULES, *API]

__getattr__ = lazy_exports(__name__, MODULES, API)
