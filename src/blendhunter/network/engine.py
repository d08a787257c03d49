"""Inference engines for the frozen VGG-16 conv base.

Every engine runs the same Keras VGG-16 with the same ImageNet weights:

- ``tensorflow``: the Keras model itself (the reference; float32 or Keras' mixed_bfloat16);
- ``onnxruntime``: the Keras model exported once to ONNX (``export_onnx``) and run by
  ONNX Runtime: float32, or int8 after static post-training quantization
  (``quantize_int8``, calibrated on training stamps). On a visible CUDA GPU with the
  GPU build installed, the CUDA provider is used.
- ``jax``: the same conv base as `lax` convolutions (``jax_engine``), float32 or
  bfloat16, on JAX's default device (a GPU where ``jax[cuda]`` sees one): the GPU
  path that needs no TensorFlow.

An exported model records the MD5 of the weights it was made from, so a model made
from other weights is refused rather than silently used.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from blendhunter.errors import EngineError
from blendhunter.io import atomic_path
from blendhunter.network.features import DEFAULT_LAYER
from blendhunter.network.machine import has_int8_dot

log = logging.getLogger(__name__)

ENGINES = ("tensorflow", "onnxruntime", "jax")
PRECISIONS = ("float32", "bfloat16", "int8")
SUPPORTED = {
    "tensorflow": ("float32", "bfloat16"),
    "onnxruntime": ("float32", "int8"),
    "jax": ("float32", "bfloat16"),
}
INPUT_NAME = "stamps"
WEIGHTS_KEY = "vgg16_weights_md5"
LAYER_KEY = "layer"


def check_supported(engine: str, precision: str) -> None:
    if engine not in ENGINES:
        raise EngineError(f"features.engine: {engine!r} is not one of {ENGINES}")
    if precision not in SUPPORTED[engine]:
        choices = ", ".join(e for e in ENGINES if precision in SUPPORTED[e])
        raise EngineError(
            f"features.precision {precision!r} is not available with engine {engine!r}; "
            f"use engine {choices} for {precision}, or precision {SUPPORTED[engine][0]}"
        )


def model_paths(weights: str | Path, layer: str = DEFAULT_LAYER) -> dict[str, Path]:
    """Where the exported models of a weights file live: beside it, same stem, and the
    layer they stop at when it is not the paper's (vgg16_notop.block3_pool.onnx)."""
    weights = Path(weights)
    stem = weights.stem if layer == DEFAULT_LAYER else f"{weights.stem}.{layer}"
    return {
        "float32": weights.with_name(f"{stem}.onnx"),
        "int8": weights.with_name(f"{stem}.int8.onnx"),
    }


def recorded(onnx_path: str | Path) -> dict[str, str]:
    """The metadata an exported model carries (weights MD5, layer, ...)."""
    import onnx

    model = onnx.load(str(onnx_path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def recorded_weights_md5(onnx_path: str | Path) -> str | None:
    return recorded(onnx_path).get(WEIGHTS_KEY)


def _stamp_metadata(onnx_path: Path, extra: dict) -> None:
    import onnx

    model = onnx.load(str(onnx_path))
    for key, value in extra.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.save(model, str(onnx_path))


def export_onnx(weights: str | Path, out: str | Path, layer: str = DEFAULT_LAYER) -> None:
    """Export the Keras VGG-16 conv base up to `layer` (float32, any batch size) to ONNX, atomically."""
    from blendhunter.io import md5sum
    from blendhunter.network import features

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    model = features.conv_base(weights, "float32", layer)
    model(np.zeros((1, features.INPUT_SIZE, features.INPUT_SIZE, 3), np.float32))  # built before export
    import keras
    import tensorflow as tf

    signature = [tf.TensorSpec((None, features.INPUT_SIZE, features.INPUT_SIZE, 3), tf.float32, INPUT_NAME)]
    with atomic_path(out) as tmp:
        keras.Model.export(model, str(tmp), format="onnx", input_signature=signature, verbose=False)
        _stamp_metadata(
            tmp, {WEIGHTS_KEY: md5sum(weights), LAYER_KEY: layer, "source": "keras.applications.VGG16"}
        )
    log.info("exported VGG-16 conv base (to %s) to %s", layer, out)


def quantize_int8(onnx_path: str | Path, calibration: np.ndarray, out: str | Path, batch: int = 32) -> None:
    """Static int8 quantization (QDQ, per-channel weights), calibrated on network inputs."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    name = _input_name(onnx_path)

    class Batches(CalibrationDataReader):
        def __init__(self):
            starts = range(0, len(calibration), batch)
            self.batches = iter([{name: calibration[i : i + batch]} for i in starts])

        def get_next(self):
            return next(self.batches, None)

    with atomic_path(out) as tmp:
        prepared = tmp.with_name(tmp.stem + ".pre.onnx")
        try:
            quant_pre_process(str(onnx_path), str(prepared), skip_symbolic_shape=True)
            quantize_static(
                str(prepared),
                str(tmp),
                Batches(),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
            )
        finally:
            prepared.unlink(missing_ok=True)
        _stamp_metadata(
            tmp,
            {
                WEIGHTS_KEY: recorded_weights_md5(onnx_path) or "",
                LAYER_KEY: recorded(onnx_path).get(LAYER_KEY, DEFAULT_LAYER),
                "calibration_stamps": len(calibration),
            },
        )
    log.info("quantized %s to int8 (%d calibration stamps) -> %s", onnx_path, len(calibration), out)


def _input_name(onnx_path: str | Path) -> str:
    import onnx

    return onnx.load(str(onnx_path), load_external_data=False).graph.input[0].name


def onnx_session(path: str | Path, threads: int = 0):
    """An ONNX Runtime session: CUDA if its build and a GPU are there, else CPU with `threads`."""
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise EngineError(
            "features.engine onnxruntime needs ONNX Runtime: pip install -e '.[cpu]' (or '.[gpu]')"
        ) from err
    options = ort.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in ort.get_available_providers():
        providers.insert(0, "CUDAExecutionProvider")
        if hasattr(ort, "preload_dlls"):  # CUDA and cuDNN from the pip wheels of [gpu]
            ort.preload_dlls()
    return ort.InferenceSession(str(path), options, providers=providers)


def check_exported(onnx_path: Path, weights: str | Path, layer: str = DEFAULT_LAYER) -> None:
    from blendhunter.io import md5sum

    if not onnx_path.is_file():
        if onnx_path.name.endswith(".int8.onnx"):
            raise EngineError(
                f"{onnx_path}: no int8 VGG-16 model beside the weights, and the head carries no "
                "int8_calibration.h5 to rebuild it (an int8 model is calibrated on its campaign's "
                f"training stamps): copy that campaign's {onnx_path.name} beside the weights, or "
                "retrain the head with this version of the workflow"
            )
        raise EngineError(
            f"{onnx_path}: no exported VGG-16 model; build it with the workflow "
            f"(snakemake {onnx_path}); blendhunter classify exports one into its cache by itself"
        )
    made_from, actual = recorded_weights_md5(onnx_path), md5sum(weights)
    if made_from != actual:
        raise EngineError(
            f"{onnx_path} was exported from other weights (md5 {made_from}, {weights} has {actual}); "
            "delete it and rebuild it"
        )
    made_for = recorded(onnx_path).get(LAYER_KEY, DEFAULT_LAYER)
    if made_for != layer:
        raise EngineError(f"{onnx_path} stops at {made_for}, not at {layer}; delete it and rebuild it")


def cache_folder() -> Path:
    """The user's cache of exported models ($XDG_CACHE_HOME/blendhunter)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "blendhunter"
    for folder in (cache.parent, cache):
        if folder.exists() and not folder.is_dir():
            raise EngineError(
                f"{folder} is a file, not the cache folder of exported models; "
                "move it away or set XDG_CACHE_HOME to a folder"
            )
    return cache


def _cached_intact(path: Path) -> bool:
    """The cached model is whole: its MD5 matches the one written when it was exported."""
    from blendhunter.io import md5sum

    sidecar = path.with_name(path.name + ".md5")
    return path.is_file() and sidecar.is_file() and sidecar.read_text().strip() == md5sum(path)


def cached_export(weights: str | Path, layer: str = DEFAULT_LAYER) -> Path:
    """The float32 ONNX model of `weights`: beside them if there, else exported once into
    the user's cache (keyed by the weights' MD5), so read-only weights work too. A cached
    model that is damaged (cut short, overwritten) is exported again, not reused."""
    from blendhunter.io import md5sum

    beside = model_paths(weights, layer)["float32"]
    if beside.is_file():
        return beside
    name = model_paths(f"vgg16_notop_{md5sum(weights)}.h5", layer)["float32"]
    path = cache_folder() / name
    if _cached_intact(path):
        return path
    if path.exists():
        log.warning("%s is damaged; exporting it again", path)
    log.info("exporting VGG-16 to %s (once per weights file and layer)", path)
    try:
        export_onnx(weights, path, layer)
        path.with_name(path.name + ".md5").write_text(md5sum(path) + "\n")
    except OSError as err:
        raise EngineError(
            f"{path}: the exported model cannot be written ({err}); set XDG_CACHE_HOME"
        ) from err
    return path


def cached_int8(weights: str | Path, layer: str, calibration_file: str | Path, preprocessing: str) -> Path:
    """The int8 model of a campaign, rebuilt into the user's cache from the public weights
    and the calibration stamps its heads carry (features.INT8_CALIBRATION_FILE): the same
    float32 export quantized on the same inputs gives the campaign's model."""
    from blendhunter.io import md5sum
    from blendhunter.network.features import preprocess, read_int8_calibration

    name = model_paths(f"vgg16_notop_{md5sum(weights)}.h5", layer)["int8"].name
    path = cache_folder() / name.replace(".int8.", f".int8.{md5sum(calibration_file)[:12]}.")
    if _cached_intact(path):
        return path
    float32 = cached_export(weights, layer)
    log.info("rebuilding the campaign's int8 VGG-16 model from %s into %s", calibration_file, path)
    stamps = read_int8_calibration(calibration_file)
    try:
        quantize_int8(float32, preprocess(stamps, preprocessing), path)
        path.with_name(path.name + ".md5").write_text(md5sum(path) + "\n")
    except OSError as err:
        raise EngineError(f"{path}: the int8 model cannot be written ({err}); set XDG_CACHE_HOME") from err
    return path


def load(
    engine: str,
    weights: str | Path,
    precision: str = "float32",
    threads: int = 0,
    model_path: str | Path | None = None,
    layer: str = DEFAULT_LAYER,
) -> Callable:
    """A function: network input (n, 65, 65, 3) float32 -> features of `layer` float32
    ((n, 2, 2, 512) for the paper's block5_pool).

    The ONNX model is `model_path`, by default the one beside the weights (`model_paths`).
    """
    check_supported(engine, precision)
    if engine == "tensorflow":
        from blendhunter.network import features

        features.configure_threads(threads)
        model = features.conv_base(weights, precision, layer)
        return lambda x: np.asarray(model(x, training=False), dtype=np.float32)
    if engine == "jax":
        from blendhunter.network import jax_engine

        jax_engine.limit_threads(threads)
        return jax_engine.conv_base(weights, precision, layer)
    path = Path(model_path or model_paths(weights, layer)[precision])
    check_exported(path, weights, layer)
    if precision == "int8" and not has_int8_dot():
        log.warning(
            "int8 features on a CPU without VNNI: no faster than float32 there, and their "
            "accuracy was checked only on VNNI CPUs; set features.precision: float32"
        )
    session = onnx_session(path, threads)
    name = session.get_inputs()[0].name
    return lambda x: session.run(None, {name: np.ascontiguousarray(x, dtype=np.float32)})[0]
