"""Learning-curve subsets and table (hand-made inputs with known answers)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from blendhunter.evaluation import learning_curve
from tests.conftest import make_config


def test_sizes_are_capped_at_the_split_and_unique():
    assert learning_curve.sizes([250, 500, 1000, 36000], 700) == [250, 500, 700]
    assert learning_curve.sizes([800, 900], 700) == [700]
    assert learning_curve.sizes([250, 500, 1000, 2000], 1125) == [250, 500, 1125]  # 1000 is near full


def test_subsets_are_nested_and_seeded():
    small, large = (learning_curve.nested_subset(1000, n, 7, 15.0, 0) for n in (100, 400))
    assert len(small) == 100 and len(large) == 400 and len(np.unique(large)) == 400
    assert set(small) <= set(large)
    assert np.array_equal(small, learning_curve.nested_subset(1000, 100, 7, 15.0, 0))
    assert not np.array_equal(small, learning_curve.nested_subset(1000, 100, 7, 15.0, 1))


def test_table_keeps_sep_once_per_dataset_and_subset():
    def point(n, bh_accuracy):
        rows = []
        for method, accuracy in (("blendhunter", bh_accuracy), ("sep", 0.9)):
            for dataset in ("parametric", "realistic"):
                for subset in ("all", "close", "close_paired"):
                    rows.append(
                        {"method": method, "dataset": dataset, "subset": subset, "accuracy": accuracy,
                         "tpr": 0.5, "tnr": 0.5, "n": 10, "train_sigma": 15.0, "realisation": 0}
                    )  # fmt: skip
        return learning_curve.point_rows(pd.DataFrame(rows), n)

    table = learning_curve.table([point(100, 0.7), point(400, 0.8)])
    bh = table[table["method"] == "blendhunter"]
    assert set(bh["subset"]) == {"all", "close"}  # the paired subsets are not curve points
    assert bh.set_index(["dataset", "n_train", "subset"]).loc[("realistic", 400, "all"), "accuracy"] == 0.8
    sep = table[table["method"] == "sep"]
    assert len(sep) == 4 and sep["n_train"].isna().all()


def test_the_nearest_noise_level_is_subsampled():
    from blendhunter.workflow import layout

    cfg = make_config()  # sigmas 5 and 20; realistic sigma 14.5
    assert layout.learning_curve_set(cfg) == {"sigma": "20", "realisation": "0"}
    points = layout.learning_curve_points(cfg)
    assert points[-1].endswith(f"n{layout.n_train(cfg)}.csv")
