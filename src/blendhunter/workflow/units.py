"""Work units: the amount a job's run time scales with, so that a job measured at
one scale can be projected to another (stamps drawn, stamps through VGG-16,
stamp-epochs of training).

Each function takes (config, wildcards, epochs) and returns the units of one
job. Rules pick theirs next to their definition (`WORK_UNITS[...]` in
rules/*.smk); a rule with no entry is a fixed-cost job (1 unit: downloads,
tables, figures). `epochs` is None in the roll-up (the head's own history
says how many it ran) and the assumed count in a projection.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from blendhunter.simulation.splits import chunk_bounds
from blendhunter.workflow import layout

Units = Callable[[dict, Mapping[str, str], float | None], float]


def split_sizes(config: dict) -> dict[str, int]:
    n = config["parametric"]["n_stamps"]
    return {name: int(round(n * fraction)) for name, fraction in config["parametric"]["split"].items()}


def fixed(config: dict, wildcards: Mapping[str, str], epochs: float | None = None) -> float:
    return 1.0


def chunk_stamps(kind: str) -> Units:
    """Stamps drawn by one simulation chunk of `kind` ('parametric' or 'realistic')."""

    def units(config, wildcards, epochs=None):
        section = config[kind]
        start, stop = chunk_bounds(section["n_stamps"], section["chunk_size"])[int(wildcards["chunk"])]
        return float(stop - start)

    return units


def parametric_stamps(config, wildcards, epochs=None) -> float:
    return float(config["parametric"]["n_stamps"])


def realistic_stamps(config, wildcards, epochs=None) -> float:
    return float(config["realistic"]["n_stamps"])


def shifted_stamps(config, wildcards, epochs=None) -> float:
    return float(layout.shifted_stamps(config, wildcards["shift"]))


def pretraining_realistic_stamps(config, wildcards, epochs=None) -> float:
    return float(layout.pretraining_realistic_stamps(config))


def parametric_features(config, wildcards, epochs=None) -> float:
    """Every stamp of the set, and the augmented copies of the training split."""
    copies = config["features"]["augment"]["copies"]
    return float(config["parametric"]["n_stamps"] + copies * split_sizes(config)["train"])


def split_stamps(*names: str) -> Units:
    """The stamps of the named splits of a parametric set (e.g. SEP on the test split)."""

    def units(config, wildcards, epochs=None):
        sizes = split_sizes(config)
        return float(sum(sizes[name] for name in names))

    return units


def history_epochs(model_dir: str | Path) -> int | None:
    """Epochs a head actually trained for (rows of its history.csv), if it exists."""
    try:
        epochs = len(pd.read_csv(Path(model_dir) / layout.MODEL_FILES["history"]))
    except (OSError, ValueError):  # absent, or not a history table
        return None
    return epochs or None


def head_training(model_dir: str, augmented: bool = True) -> Units:
    """Stamp-epochs of training one head: (training [+ augmented copies] + validation) x epochs."""

    def units(config, wildcards, epochs=None):
        sizes = split_sizes(config)
        copies = config["features"]["augment"]["copies"] if augmented else 0
        if epochs is None:
            epochs = history_epochs(model_dir.format(**wildcards)) or config["training"]["max_epochs"]
        return float((sizes["train"] * (1 + copies) + sizes["validation"]) * epochs)

    return units


def learning_curve_point(config, wildcards, epochs=None) -> float:
    """Stamp-epochs of one learning-curve model (n training stamps), head or CNN."""
    if epochs is None:
        cnn = layout.is_cnn(config)
        epochs = config["network"]["cnn"]["max_epochs"] if cnn else config["training"]["max_epochs"]
    return float((int(wildcards["n"]) + split_sizes(config)["validation"]) * epochs)


def cnn_training(model_dir: str) -> Units:
    """Stamp-epochs of training one CNN: (training + validation) x epochs."""

    def units(config, wildcards, epochs=None):
        sizes = split_sizes(config)
        if epochs is None:
            epochs = history_epochs(model_dir.format(**wildcards)) or config["network"]["cnn"]["max_epochs"]
        return float((sizes["train"] + sizes["validation"]) * epochs)

    return units


def predictions(realistic: Units) -> Units:
    """Stamps a head scores: validation and test splits, and the realistic stamps."""

    def units(config, wildcards, epochs=None):
        return split_stamps("validation", "test")(config, wildcards) + realistic(config, wildcards)

    return units


def evaluation(config, wildcards, epochs=None) -> float:
    return split_stamps("test")(config, wildcards) + realistic_stamps(config, wildcards)
