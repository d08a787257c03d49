"""The VGG-16 conv base in JAX: the same network and ImageNet weights as Keras,
as a few `lax` convolutions and poolings, so one engine runs on the CPU (tested
against TensorFlow in CI) and on a GPU without TensorFlow (`jax[cuda]`).

The weights come from the Keras file itself (HDF5, read with h5py), or from a
float16 `.npz` of it (`pack`, half the size, for machines that can only be sent
a few tens of MB); a model records nothing, it is rebuilt from the file.
float32 uses the highest matmul precision (no TF32 on GPUs, so CPU and GPU
agree); bfloat16 runs the convolutions in bfloat16 with float32 accumulation.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from blendhunter.errors import EngineError

# Keras' VGG16 conv base, in order: (block, convolutions)
BLOCKS = ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
JAX_PRECISIONS = ("float32", "bfloat16")  # every engine's: engine.PRECISIONS


def layer_names(layer: str) -> list[str]:
    """The conv and pool layers up to and including `layer` (a block's pool)."""
    names = []
    for block, convs in BLOCKS:
        names += [f"block{block}_conv{i}" for i in range(1, convs + 1)] + [f"block{block}_pool"]
        if names[-1] == layer:
            return names
    raise EngineError(f"features.layer: {layer!r} is not a VGG-16 block pool")


def read_weights(path: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Kernel (3, 3, in, out) and bias of every conv layer, from the Keras HDF5 or a packed npz."""
    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as packed:
            names = {key.rsplit("/", 1)[0] for key in packed.files}
            return {n: (packed[f"{n}/kernel"], packed[f"{n}/bias"]) for n in names}
    import h5py

    weights = {}
    with h5py.File(path, "r") as f:
        for name in f.attrs["layer_names"]:
            name = name.decode() if isinstance(name, bytes) else str(name)
            if "_conv" not in name:
                continue
            group = f[name]
            kernel, bias = (
                group[w.decode() if isinstance(w, bytes) else w][()] for w in group.attrs["weight_names"]
            )
            weights[name] = (kernel, bias)
    return weights


def pack(weights: str | Path, out: str | Path) -> None:
    """The conv weights as float16 npz (30 MB instead of 59): small enough to send a GPU machine."""
    from blendhunter.io import atomic_path

    arrays = {}
    for name, (kernel, bias) in read_weights(weights).items():
        arrays[f"{name}/kernel"], arrays[f"{name}/bias"] = kernel.astype(np.float16), bias.astype(np.float16)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)


def limit_threads(threads: int) -> None:
    """XLA's CPU threads, before JAX starts (no effect once it has)."""
    if threads > 0 and "jax" not in __import__("sys").modules:
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (
            f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={threads}"
        )


def conv_base(
    weights: str | Path, precision: str = "float32", layer: str = "block5_pool", device=None
) -> Callable[[np.ndarray], np.ndarray]:
    """A function: network input (n, 65, 65, 3) float32 -> features of `layer` float32.

    `device`: a jax device (default: JAX's default, a GPU if one is visible).
    """
    if precision not in JAX_PRECISIONS:
        raise EngineError(f"features.precision {precision!r}: the jax engine runs {JAX_PRECISIONS}")
    try:
        import jax
        import jax.numpy as jnp
        from jax import lax
    except ImportError as err:
        raise EngineError("features.engine jax needs JAX: pip install -e '.[cpu]' (or '.[gpu]')") from err

    names = layer_names(layer)
    dtype = jnp.float32 if precision == "float32" else jnp.bfloat16
    put = (lambda a: jax.device_put(a, device)) if device is not None else jnp.asarray
    params = {
        n: (put(np.asarray(k, np.float32)).astype(dtype), put(np.asarray(b, np.float32)))
        for n, (k, b) in read_weights(weights).items()
        if n in names
    }
    if len(params) != sum(1 for n in names if "_conv" in n):
        raise EngineError(f"{weights}: not the VGG-16 conv weights (conv layers missing)")
    highest = lax.Precision.HIGHEST if precision == "float32" else None

    def forward(x):
        x = x.astype(dtype)
        for name in names:
            if name.endswith("_pool"):
                x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
                continue
            kernel, bias = params[name]
            y = lax.conv_general_dilated(
                x,
                kernel,
                (1, 1),
                "SAME",
                dimension_numbers=("NHWC", "HWIO", "NHWC"),
                precision=highest,
                preferred_element_type=jnp.float32,
            )
            x = jax.nn.relu(y + bias).astype(dtype)
        return x.astype(jnp.float32)

    compiled = jax.jit(forward)
    return lambda x: np.asarray(compiled(put(np.ascontiguousarray(x, dtype=np.float32))))
