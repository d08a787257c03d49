"""blendhunter.network.engine: ONNX Runtime and int8 against the TensorFlow reference, with the real weights.

Real VGG-16 ImageNet weights from ../shared, real GalSim stamps.
"""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest

from blendhunter.io import md5sum
from blendhunter.network import engine, features
from blendhunter.network.machine import has_int8_dot
from tests.conftest import make_config
from tests.helpers import AGREEMENT, max_relative
from tests.unit.conftest import N_INPUT

INT8_RMS_TOLERANCE = 0.1  # int8 moves features by a few per cent (RMS, relative)


def test_onnxruntime_agrees_with_tensorflow(exported, weights, network_input, reference):
    found = engine.load("onnxruntime", weights, "float32", 2)(network_input)
    assert found.shape == (N_INPUT, *features.FEATURE_SHAPE) and found.dtype == np.float32
    assert max_relative(found, reference) <= AGREEMENT


def test_export_records_the_weights_and_refuses_other_weights(exported, weights, tmp_path):
    assert engine.recorded_weights_md5(exported) == md5sum(weights)
    other = tmp_path / "vgg16_notop.h5"
    shutil.copy(weights, other)
    with h5py.File(other, "r+") as handle:
        handle["block5_conv3"]["block5_conv3/bias:0"][0] += 1.0
    with pytest.raises(engine.EngineError, match="other weights"):
        engine.load("onnxruntime", other, "float32", model_path=exported)
    with pytest.raises(engine.EngineError, match="no exported VGG-16 model"):
        engine.load("onnxruntime", other, "float32")


def test_int8_is_close_but_not_exact(exported, weights, network_input, reference, tmp_path):
    int8 = engine.model_paths(weights)["int8"]
    engine.quantize_int8(exported, network_input[:64], int8)
    found = engine.load("onnxruntime", weights, "int8", 2)(network_input)
    rms = np.linalg.norm(found - reference) / np.linalg.norm(reference)
    assert 0 < rms < INT8_RMS_TOLERANCE, rms
    assert engine.recorded_weights_md5(int8) == md5sum(weights)


def test_int8_without_vnni_warns(exported, weights, monkeypatch, caplog):
    """int8 on a CPU without VNNI is no faster and unchecked: the user is told to use float32."""
    int8 = engine.model_paths(weights)["int8"]
    if not int8.exists():
        engine.quantize_int8(exported, np.zeros((4, 65, 65, 3), np.float32), int8)
    monkeypatch.setattr(engine, "has_int8_dot", lambda: False)
    engine.load("onnxruntime", weights, "int8", 1)
    assert "without VNNI" in caplog.text and "features.precision: float32" in caplog.text
    caplog.clear()
    monkeypatch.setattr(engine, "has_int8_dot", lambda: True)
    engine.load("onnxruntime", weights, "int8", 1)
    assert "VNNI" not in caplog.text


@pytest.mark.parametrize(
    ("flags", "fast"),
    [({"avx512_vnni": True}, True), ({"avx_vnni": True}, True), ({"avx2": True, "avx512f": True}, False)],
)
def test_int8_dot_is_vnni(flags, fast):
    assert has_int8_dot({"flags": flags}) is fast


@pytest.mark.parametrize(
    ("name", "precision", "message"),
    [("tensorflow", "int8", "engine onnxruntime"), ("onnxruntime", "bfloat16", "engine tensorflow")],
)
def test_unsupported_precision_is_named(name, precision, message):
    with pytest.raises(engine.EngineError, match=message):
        engine.check_supported(name, precision)


def test_config_rejects_an_engine_without_the_precision():
    from blendhunter.workflow import config as bh_config

    with pytest.raises(bh_config.ConfigError, match="not available with engine"):
        make_config({"features": {"engine": "tensorflow", "precision": "int8"}})


@pytest.mark.skipif(not __import__("tensorflow").config.list_physical_devices("GPU"), reason="no GPU visible")
def test_features_run_on_a_visible_gpu(weights, network_input, reference, exported):
    """On a GPU machine with `make setup GPU=1`: both engines use the GPU and agree."""
    import onnxruntime as ort

    assert "CUDAExecutionProvider" in ort.get_available_providers()
    session = engine.onnx_session(exported)
    assert session.get_providers()[0] == "CUDAExecutionProvider"
    found = engine.load("onnxruntime", weights, "float32")(network_input)
    assert max_relative(found, reference) <= 1e-3  # GPU convolutions (TF32) round differently
