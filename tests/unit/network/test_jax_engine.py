"""blendhunter.network.jax_engine: the JAX VGG-16 conv base against TensorFlow, and make gpu-check."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from blendhunter.network import engine, features
from tests.helpers import AGREEMENT, max_relative
from tests.unit.conftest import N_INPUT


@pytest.mark.parametrize("layer", ["block5_pool", "block3_pool"])
def test_jax_agrees_with_tensorflow(weights, network_input, reference, layer):
    """The JAX conv base (the GPU path without TensorFlow) is the same network, on the CPU."""
    expected = reference
    if layer != features.DEFAULT_LAYER:
        expected = engine.load("tensorflow", weights, "float32", 2, layer=layer)(network_input)
    found = engine.load("jax", weights, "float32", 2, layer=layer)(network_input)
    assert found.shape == (N_INPUT, *features.LAYERS[layer]) and found.dtype == np.float32
    assert max_relative(found, expected) <= AGREEMENT


def test_jax_bfloat16_and_packed_weights_are_close(weights, network_input, reference, tmp_path):
    from blendhunter.network import jax_engine

    bf16 = engine.load("jax", weights, "bfloat16")(network_input)
    assert 0 < np.linalg.norm(bf16 - reference) / np.linalg.norm(reference) < 0.02
    packed = tmp_path / "vgg16_notop.float16.npz"
    jax_engine.pack(weights, packed)
    assert packed.stat().st_size < 0.6 * weights.stat().st_size
    found = jax_engine.conv_base(packed)(network_input)
    assert 0 < max_relative(found, reference) < 1e-2


def jax_gpus() -> list:
    import jax

    try:
        return jax.devices("gpu")
    except RuntimeError:  # no GPU backend
        return []


@pytest.mark.skipif(not jax_gpus(), reason="no GPU visible to JAX")
def test_jax_features_on_a_visible_gpu(weights, network_input, reference):
    """On a GPU machine with JAX's CUDA build: the same features as on the CPU (float32
    at the highest matmul precision, no TF32)."""
    from blendhunter.network import jax_engine

    found = jax_engine.conv_base(weights, device=jax_gpus()[0])(network_input)
    assert max_relative(found, reference) <= AGREEMENT


def test_gpu_check_script_runs(weights, tmp_path):
    """benchmarks/gpu_check.py (make gpu-check), on the CPU here: it runs and writes its JSON."""
    from tests.conftest import REPO

    out = tmp_path / "gpu_check.json"
    cmd = [sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--weights", str(weights)]
    cmd += ["--out", str(out), "--allow-cpu", "--batches", "8", "--stamps", "8", "--seconds", "0.1"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    result = json.loads(out.read_text())
    assert result["passed"] and set(result["layers"]) == {"block5_pool", "block3_pool"}
    assert result["layers"]["block5_pool"]["agreement"]["float32"] <= AGREEMENT
