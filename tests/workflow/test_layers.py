"""features.layer: heads on earlier VGG-16 blocks, in a real (tiny) Snakemake run, and
`classify` with such a head extracts the features of its own layer.
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

from blendhunter.network import training
from blendhunter.workflow import layout

from ..conftest import make_config, run_snakemake, write_config

SET = {"sigma": "5", "realisation": 0}


LAYERS = {"block3_pool": (8, 8, 256), "block4_pool": (4, 4, 512)}


@pytest.mark.slow
@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_gives_its_features_a_head_that_trains_and_classify_follows_it(tmp_path, layer):
    cfg = make_config({"features": {"layer": layer}, "parametric": {"sigmas": [5], "realisations": 1}})
    configfile = write_config(tmp_path / "config.yaml", cfg)
    model_dir = tmp_path / layout.MODEL_DIR.format(**SET)
    predictions = layout.PREDICTIONS_REALISTIC.format(**SET)
    run_snakemake(tmp_path, configfile, predictions)

    with h5py.File(tmp_path / layout.PARAMETRIC_FEATURES.format(**SET)) as handle:
        assert handle["features"].shape[1:] == LAYERS[layer]
        assert handle.attrs["layer"] == layer
    with h5py.File(tmp_path / layout.REALISTIC_FEATURES) as handle:
        assert handle["features"].shape[1:] == LAYERS[layer]
    metadata = json.loads((model_dir / training.METADATA_FILE).read_text())
    assert metadata["layer"] == layer
    assert tuple(training.load_head(model_dir).input_shape[1:]) == LAYERS[layer]

    # classify reads the layer from the head's metadata: the workflow's predictions again
    out = tmp_path / "classified.csv"
    cmd = [sys.executable, "-m", "blendhunter.cli", "classify", "--quiet", "--model", str(model_dir)]
    cmd += ["--vgg16-weights", cfg["resources"]["vgg16_weights"], "--output", str(out)]
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = subprocess.run(
        [*cmd, str(tmp_path / layout.REALISTIC_SET)], capture_output=True, text=True, timeout=600, env=env
    )
    assert result.returncode == 0, result.stderr
    found = pd.read_csv(out)["p_blend"].to_numpy()
    expected = pd.read_csv(tmp_path / predictions).sort_values("index")["p_blend"].to_numpy()
    assert np.allclose(found, expected, atol=1e-4)
