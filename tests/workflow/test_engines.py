"""The feature engines inside a real Snakemake run."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from blendhunter.workflow import layout

from ..conftest import make_config, run_snakemake, write_config
from ..helpers import AGREEMENT, max_relative


@pytest.mark.slow
def test_features_jobs_with_each_engine_agree(tmp_path):
    """One workdir: features with tensorflow, then with onnxruntime (a params change reruns
    only the features); a changed weights file rebuilds the exported model, nothing else does."""
    cfg = make_config({"features": {"engine": "tensorflow"}})
    target = layout.PARAMETRIC_FEATURES.format(sigma="5", realisation=0)
    configfile = write_config(tmp_path / "tf.yaml", cfg)
    run_snakemake(tmp_path, configfile, target)
    with h5py.File(tmp_path / target) as handle:
        tf_features = handle["features"][()]
        tf_labels, tf_split = handle["label"][()], handle["split"][()]
        assert handle.attrs["engine"] == "tensorflow"

    configfile = write_config(tmp_path / "ort.yaml", make_config({"features": {"engine": "onnxruntime"}}))
    result = run_snakemake(tmp_path, configfile, target)
    assert "rule vgg16_onnx" in result.stdout + result.stderr
    assert "rule simulate_parametric_chunk" not in result.stdout + result.stderr
    with h5py.File(tmp_path / target) as handle:
        assert handle.attrs["engine"] == "onnxruntime"
        assert np.array_equal(handle["label"][()], tf_labels)
        assert np.array_equal(handle["split"][()], tf_split)
        assert max_relative(handle["features"][()], tf_features) <= AGREEMENT

    onnx = layout.exported_models(layout.VGG16_WEIGHTS)["float32"]
    assert "Nothing to be done" in run_snakemake(tmp_path, configfile, "-n", onnx).stdout
    with h5py.File(tmp_path / layout.VGG16_WEIGHTS, "r+") as handle:  # the weights change
        handle["block5_conv3"]["block5_conv3/bias:0"][0] += 1.0
    planned = run_snakemake(tmp_path, configfile, "-n", onnx)
    assert "rule vgg16_onnx" in planned.stdout, planned.stdout
