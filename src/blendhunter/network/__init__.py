"""The networks: the paper's frozen VGG-16 convolutional base, run by one of several
engines and precisions, and the dense head trained on its cached features (Sect. 3.2);
and a small CNN trained on the stamps themselves (network.kind: cnn).

    engine      inference engines (TensorFlow, ONNX Runtime, JAX) and precisions
    jax_engine  the conv base in JAX (CPU or GPU)
    features    bottleneck features: padding, preprocessing, layers, HDF5 caches
    training    the dense head: build, train, save, load
    cnn         the CNN on the stamps: its input recipe, build, train, predict
    models      a trained model of either kind: load it, score a set
    machine     the CPU a measurement ran on
"""

from blendhunter import lazy_exports

MODULES = ("engine", "jax_engine", "features", "training", "cnn", "models", "machine")
# The API, imported on first use: a light import for the Snakefile and the CLI.
API = {
    "ENGINES": "engine",
    "PRECISIONS": "engine",
    "LAYERS": "features",
    "DEFAULT_LAYER": "features",
    "build_head": "training",
    "load_head": "training",
    "build_cnn": "cnn",
    "KINDS": "models",
}
__all__ = [*MODULES, *API]

__getattr__ = lazy_exports(__name__, MODULES, API)
