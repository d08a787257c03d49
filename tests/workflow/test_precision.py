"""Reduced precision: features in bfloat16 or int8 in a real (tiny) Snakemake
run give a head that trains and records its precision, and `classify` refuses to feed
that head features of another precision.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

from blendhunter.network import engine as bh_engine
from blendhunter.network import features, training
from blendhunter.simulation.stamps import StampSet
from blendhunter.workflow import layout

from ..conftest import make_config, run_snakemake, write_config

SET = {"sigma": "5", "realisation": 0}


@pytest.mark.slow
# int8 only: its own model (vgg16_int8, calibration) is the path with most to go wrong;
# bfloat16 features are held to float32 in tests/test_network.py
@pytest.mark.parametrize(("engine", "precision"), [("onnxruntime", "int8")])
def test_reduced_precision_trains_a_head_and_classify_keeps_to_it(tmp_path, engine, precision):
    cfg = make_config(
        {
            "features": {"engine": engine, "precision": precision},
            "parametric": {"sigmas": [5], "realisations": 1},
        }
    )
    configfile = write_config(tmp_path / "config.yaml", cfg)
    model_dir = tmp_path / layout.MODEL_DIR.format(**SET)
    run_snakemake(tmp_path, configfile, layout.PREDICTIONS_REALISTIC.format(**SET))

    with h5py.File(tmp_path / layout.PARAMETRIC_FEATURES.format(**SET)) as handle:
        assert handle.attrs["precision"] == precision and handle.attrs["engine"] == engine
    metadata = json.loads((model_dir / training.METADATA_FILE).read_text())
    assert (metadata["precision"], metadata["engine"]) == (precision, engine)
    assert metadata["epochs_run"] >= 1 and 0 <= metadata["best_val_loss"] < 10

    out = tmp_path / "classified.csv"
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", "--model", str(model_dir)]
    cmd += ["--vgg16-weights", cfg["resources"]["vgg16_weights"], "--output", str(out)]
    cmd += ["--precision", "float32", str(tmp_path / layout.REALISTIC_SET)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2 and f"--precision float32 (the head's: {precision})" in result.stderr
    assert not out.exists()

    # Away from its campaign: the public weights file (no int8 model beside it) and an empty
    # cache; the head's int8_calibration.h5 rebuilds the campaign's int8 model.
    campaign_int8 = tmp_path / layout.exported_models(layout.VGG16_WEIGHTS, "block5_pool")["int8"]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", "--model", str(model_dir)]
    cmd += ["--vgg16-weights", cfg["resources"]["vgg16_weights"], "--output", str(out)]
    result = subprocess.run(
        [*cmd, str(tmp_path / layout.REALISTIC_SET)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0, result.stderr
    (rebuilt,) = (tmp_path / "cache" / "blendhunter").glob("*.int8.*.onnx")
    stamps = StampSet(tmp_path / layout.REALISTIC_SET).images(np.arange(64))
    x = features.preprocess(stamps, metadata["preprocessing"])
    weights = cfg["resources"]["vgg16_weights"]
    ours = bh_engine.load("onnxruntime", weights, "int8", 2, rebuilt)(x)
    theirs = bh_engine.load("onnxruntime", weights, "int8", 2, campaign_int8)(x)
    assert np.abs(ours - theirs).max() <= 1e-6 * np.abs(theirs).max()
    campaign = pd.read_csv(tmp_path / layout.PREDICTIONS_REALISTIC.format(**SET))
    assert (pd.read_csv(out)["p_blend"] - campaign["p_blend"]).abs().max() < 1e-5
