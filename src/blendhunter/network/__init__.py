"""The paper's network: the frozen VGG-16 convolutional base, run by one of several
engines and precisions, and the dense head trained on its cached features (Sect. 3.2).

    engine      inference engines (TensorFlow, ONNX Runtime, JAX) and precisions
    jax_engine  the conv base in JAX (CPU or GPU)
    features    bottleneck features: padding, preprocessing, layers, HDF5 caches
    training    the dense head: build, train, save, load
    machine     the CPU a measurement ran on
"""

import importlib

MODULES = ("engine", "jax_engine", "features", "training", "machine")
# The API, imported on first use: a light import for the Snakefile and the CLI.
API = {
    "ENGINES": "engine",
    "PRECISIONS": "engine",
    "LAYERS": "features",
    "DEFAULT_LAYER": "features",
    "build_head": "training",
    "load_head": "training",
}
__all__ = [*MODULES, *API]


def __getattr__(name: str):
    if name in MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in API:
        return getattr(importlib.import_module(f"{__name__}.{API[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
