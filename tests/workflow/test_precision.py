"""Reduced precision (issue 19): features in bfloat16 or int8 in a real (tiny) Snakemake
run give a head that trains and records its precision, and `classify` refuses to feed
that head features of another precision.
"""

from __future__ import annotations

import json
import subprocess
import sys

import h5py
import pytest

from blendhunter import layout, training

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
