"""network.kind: cnn: a tiny campaign trains CNNs on the stamps (no VGG-16 job), their
predictions feed the tables, and `classify` gives the same probabilities from the same
model directory (the same preprocessing in training and in classify)."""

import json

import numpy as np
import pandas as pd
import pytest

from blendhunter import cli
from blendhunter.evaluation import scores
from blendhunter.network import cnn, models
from blendhunter.network import training as bh_training
from blendhunter.simulation.stamps import StampSet
from blendhunter.workflow import layout

from ..conftest import make_config, run_snakemake, write_config
from .test_partial_rerun import dry_run, rules_of

pytestmark = pytest.mark.slow

CNN = {"network": {"kind": "cnn", "cnn": {"filters": [8, 8, 16], "dense": 16, "max_epochs": 2}}}
VGG16_RULES = {"vgg16_weights", "vgg16_onnx", "vgg16_int8", "parametric_features", "realistic_features",
               "shifted_features", "train_head"}  # fmt: skip


def test_a_cnn_campaign_runs_no_vgg16_job(tmp_path):
    configfile = write_config(tmp_path / "config.yaml", make_config(CNN))
    planned = rules_of(dry_run(tmp_path, configfile))
    assert {"train_cnn", "predict", "predict_shifted", "centring_table", "psf_shift_table",
            "learning_curve_point", "learning_curve"} <= planned  # fmt: skip
    assert not planned & VGG16_RULES


def test_a_cnn_trains_and_classify_scores_as_the_workflow_did(tmp_path):
    cfg = make_config(CNN, {"parametric": {"sigmas": [20], "realisations": 1}})
    configfile = write_config(tmp_path / "config.yaml", cfg)
    where = {"sigma": "20", "realisation": 0}
    realistic = layout.PREDICTIONS_REALISTIC.format(**where)
    tables = layout.TABLES["realistic"], layout.TABLES["learning_curve"]
    run_snakemake(tmp_path, configfile, realistic, *tables)

    model_dir = tmp_path / layout.MODEL_DIR.format(**where)
    metadata = json.loads((model_dir / bh_training.METADATA_FILE).read_text())
    assert metadata["kind"] == cnn.KIND and metadata["input_size"] == cfg["stamp"]["size"]
    assert metadata["n_train"] == 54 and metadata["epochs_run"] == 2
    assert models.load(model_dir).kind == cnn.KIND
    table = pd.read_csv(tmp_path / layout.TABLES["realistic"])
    assert len(table) and table["accuracy"].between(0, 1).all()
    # the learning curve trains CNNs on nested subsets of the stamps (sizes 20 and 1000,
    # the latter capped at the 54 training stamps)
    curve = pd.read_csv(tmp_path / layout.TABLES["learning_curve"])
    assert sorted(curve.loc[curve["method"] == "blendhunter", "n_train"].unique()) == [20, 54]
    log = (tmp_path / "results/logs/learning_curve/sigma20_real0_n20.log").read_text()
    assert "cnn, n_train 20" in log

    # the calibration (temperature, F1 thresholds) is fitted on the validation split alone
    stamp_set = StampSet(tmp_path / layout.PARAMETRIC_SET.format(**where))
    validation = pd.read_csv(tmp_path / layout.PREDICTIONS_VALIDATION.format(**where))
    test = pd.read_csv(tmp_path / layout.PREDICTIONS_TEST.format(**where))
    np.testing.assert_array_equal(validation["index"], stamp_set.indices("validation"))
    np.testing.assert_array_equal(test["index"], stamp_set.indices("test"))
    refitted = scores.calibration_summary(stamp_set.labels[validation["index"]], validation["p_blend"])
    stored = json.loads((model_dir / bh_training.CALIBRATION_FILE).read_text())
    assert stored["n"] == len(validation) and stored["temperature"] == pytest.approx(refitted["temperature"])
    assert stored["f1_thresholds"] == pytest.approx(refitted["f1_thresholds"])

    out = tmp_path / "flags.csv"
    stamps = tmp_path / layout.REALISTIC_SET
    assert cli.main(["classify", str(stamps), "--model", str(model_dir), "--output", str(out)]) == 0
    workflow = pd.read_csv(tmp_path / realistic)
    classified = pd.read_csv(out)
    np.testing.assert_allclose(classified["p_blend"], workflow["p_blend"], atol=1e-5)

    # a CNN has no VGG-16 features: asking for their engine is an error, not ignored
    again = ["classify", str(stamps), "--model", str(model_dir), "--output", str(tmp_path / "b.csv")]
    assert cli.main([*again, "--engine", "tensorflow"]) == 2
    # damaged metadata: one clear error
    metadata["input_size"] = 64
    (model_dir / bh_training.METADATA_FILE).write_text(json.dumps(metadata))
    assert cli.main(again) == 2
