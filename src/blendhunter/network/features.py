"""VGG-16 bottleneck features (paper Sect. 3.2.1).

The ImageNet-weighted convolutional base is frozen and used once per stamp:
65x65x3 in, the output of one pooling layer out (features.layer: the paper's
block5_pool, 2x2x512, or an earlier block, which keeps more spatial detail).
Stamps are streamed in batches, so memory stays bounded whatever the set size,
and features are cached in HDF5 for the heads.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import h5py
import numpy as np

from blendhunter.io import atomic_path, provenance, reading
from blendhunter.logs import Progress

log = logging.getLogger(__name__)

INPUT_SIZE = 65
# Feature layer -> its output shape at 65x65 input. block5_pool is the paper's.
LAYERS = {"block5_pool": (2, 2, 512), "block4_pool": (4, 4, 512), "block3_pool": (8, 8, 256)}
DEFAULT_LAYER = "block5_pool"
# VGG-16's 3x3 convolutions to block5_pool, "pool" after each block (cnn.conv_flops counts them)
VGG16_PLAN = [
    *(64, 64, "pool", 128, 128, "pool"),
    *(256, 256, 256, "pool", 512, 512, 512, "pool", 512, 512, 512, "pool"),
]
FEATURE_SHAPE = LAYERS[DEFAULT_LAYER]
PREPROCESSING = ("png", "caffe", "float", "snr")
# snr: the stamp in units of its own noise, clipped to this range, then mapped to [0, 1]
SNR_CLIP = (-3.0, 30.0)
BORDER = 4  # px: the frame whose pixels estimate a stamp's noise


def feature_shape(layer: str = DEFAULT_LAYER) -> tuple[int, int, int]:
    if layer not in LAYERS:
        raise ValueError(f"features.layer: {layer!r} is not one of {tuple(LAYERS)}")
    return LAYERS[layer]


def border_sigma(stamps: np.ndarray, border: int = BORDER) -> np.ndarray:
    """Each stamp's noise sigma from its outer frame of `border` pixels, robustly:
    1.4826 x MAD, so a galaxy reaching the border barely moves it (0 for a blank frame).
    Never the true sigma: classify has no truth."""
    stamps = np.asarray(stamps, dtype=np.float32)
    mask = np.ones(stamps.shape[1:], bool)
    mask[border:-border, border:-border] = False
    frame = stamps[:, mask]
    median = np.median(frame, axis=1, keepdims=True)
    return (1.4826 * np.median(np.abs(frame - median), axis=1)).astype(np.float32)


def to_snr(stamps: np.ndarray) -> np.ndarray:
    """Signed stamp / its border noise, clipped to SNR_CLIP and mapped to [0, 1]."""
    low, high = SNR_CLIP
    sigma = border_sigma(stamps)
    sigma[sigma == 0] = 1.0  # a noiseless stamp: its own units
    snr = np.asarray(stamps, dtype=np.float32) / sigma[:, None, None]
    return (np.clip(snr, low, high) - low) / (high - low)


KERAS_PRECISIONS = ("float32", "bfloat16")  # the TensorFlow path; every engine's: engine.PRECISIONS


def configure_threads(threads: int) -> None:
    """Pin TensorFlow to the rule's threads so parallel jobs don't oversubscribe."""
    import tensorflow as tf

    if threads <= 0:
        return  # TensorFlow's default: every core
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
    except RuntimeError:  # already initialised in this process
        pass


def to_png_levels(stamps: np.ndarray) -> np.ndarray:
    """The paper's PNG step: |x| * 255 / max|x| per stamp, cast to 8-bit integers."""
    stamps = np.abs(np.asarray(stamps, dtype=np.float32))
    peak = stamps.reshape(len(stamps), -1).max(axis=1)
    peak[peak == 0] = 1.0  # an all-zero stamp stays zero
    return (stamps * (255.0 / peak)[:, None, None]).astype(np.uint8)


def preprocess(stamps: np.ndarray, method: str = "png") -> np.ndarray:
    """Stamps (n, 65, 65) -> network input (n, 65, 65, 3) float32.

    png: the paper's pipeline, 8-bit levels replicated to 3 channels, / 255.
    caffe: the same levels through ImageNet's VGG preprocessing (BGR, mean-subtracted).
    float: the paper's scaling, |x| / max|x|, without the cut to 8-bit levels (beside a
    bright galaxy one level can exceed the noise, so faint structure is rounded away).
    snr: noise-normalised, signed, x / sigma (from the stamp's border) clipped to SNR_CLIP:
    a 3-sigma companion has the same input level whatever the brightest galaxy.
    """
    if method == "snr":
        return np.repeat(to_snr(stamps)[..., None], 3, axis=-1)
    if method == "float":
        stamps = np.abs(np.asarray(stamps, dtype=np.float32))
        peak = stamps.reshape(len(stamps), -1).max(axis=1)
        peak[peak == 0] = 1.0
        return np.repeat((stamps / peak[:, None, None])[..., None], 3, axis=-1)
    levels = to_png_levels(stamps).astype(np.float32)
    rgb = np.repeat(levels[..., None], 3, axis=-1)
    if method == "png":
        return rgb / 255.0
    if method == "caffe":
        from keras.applications.vgg16 import preprocess_input

        return preprocess_input(rgb)
    raise ValueError(f"features.preprocessing: {method!r} is not one of {PREPROCESSING}")


def pad_stamps(stamps: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """Zero-pad (n, s, s) stamps to (n, size, size), as the simulation does."""
    side = stamps.shape[-1]
    if stamps.ndim != 3 or stamps.shape[1] != side or side > size or (size - side) % 2:
        raise ValueError(f"stamps of shape {stamps.shape[1:]} cannot be padded to {size}x{size}")
    pad = (size - side) // 2
    return np.pad(stamps, ((0, 0), (pad, pad), (pad, pad)))


@contextlib.contextmanager
def precision_policy(precision: str):
    """Build models under Keras' mixed_bfloat16 policy, then restore the old one."""
    import keras

    if precision not in KERAS_PRECISIONS:
        raise ValueError(f"features.precision: {precision!r} is not one of {KERAS_PRECISIONS}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if precision == "bfloat16" else "float32")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def conv_base(weights_path: str | os.PathLike, precision: str = "float32", layer: str = DEFAULT_LAYER):
    """The frozen VGG-16 convolutional base with the given weights, cut at `layer`
    (the blocks after it are not computed)."""
    import keras

    feature_shape(layer)
    with precision_policy(precision):
        model = keras.applications.VGG16(
            include_top=False, weights=str(weights_path), input_shape=(INPUT_SIZE, INPUT_SIZE, 3)
        )
        if layer != model.layers[-1].name:
            model = keras.Model(model.input, model.get_layer(layer).output, name=f"vgg16_{layer}")
    model.trainable = False
    return model


def extract(
    infer, stamps: np.ndarray, method: str, batch_size: int = 256, layer: str = DEFAULT_LAYER
) -> np.ndarray:
    """Features (n, *feature_shape(layer)) float32 of stamps already at 65x65.

    `infer` maps network input to features of `layer`: an `engine.load` function or a Keras model.
    """
    out = np.empty((len(stamps), *feature_shape(layer)), dtype=np.float32)
    for start in range(0, len(stamps), batch_size):
        batch = preprocess(stamps[start : start + batch_size], method)
        out[start : start + len(batch)] = np.asarray(infer(batch), dtype=np.float32)
    return out


def augment(stamps: np.ndarray, copies: int, cfg: dict, seed: int) -> np.ndarray:
    """`copies` augmented versions of each stamp (Keras shear, zoom, flip; paper Sect. 3.2.1)."""
    import keras

    layers = []
    if cfg["horizontal_flip"]:
        layers.append(keras.layers.RandomFlip("horizontal", seed=seed))
    if cfg["zoom"] > 0:
        layers.append(keras.layers.RandomZoom(cfg["zoom"], cfg["zoom"], fill_mode="constant", seed=seed + 1))
    if cfg["shear"] > 0:
        layers.append(keras.layers.RandomShear(x_factor=cfg["shear"], fill_mode="constant", seed=seed + 2))
    pipeline = keras.Sequential(layers)
    x = np.repeat(stamps[..., None], copies, axis=0).astype(np.float32)
    return np.asarray(pipeline(x, training=True))[..., 0]


def write_features(
    stamp_set,
    out_path: str | Path,
    infer,
    method: str,
    batch_size: int,
    attrs: dict,
    augment_cfg: dict | None = None,
    augment_seed: int = 0,
    first: int | None = None,
    layer: str = DEFAULT_LAYER,
) -> None:
    """Stream a StampSet through VGG-16 (`infer`, see `extract`) into an HDF5 feature file (atomic).

    Layout: features (n, *feature_shape(layer)), label (n,), split (n,), index (n,) and,
    with augmentation, the same four for augmented copies of the training split
    under augmented/. `attrs` (engine, precision, weights...) are recorded. `first`: only
    the first stamps of the set.
    """
    model = infer
    shape = feature_shape(layer)
    n = len(stamp_set) if first is None else min(first, len(stamp_set))
    progress = Progress(n, f"features {Path(out_path).name}", log)
    with atomic_path(out_path) as tmp, h5py.File(tmp, "w") as handle:
        features = handle.create_dataset(
            "features", shape=(n, *shape), dtype=np.float32, chunks=(max(1, min(n, 256)), *shape)
        )
        for indices, images in stamp_set.batches(np.arange(n), batch_size):
            features[indices[0] : indices[-1] + 1] = extract(model, images, method, batch_size, layer)
            progress.update(len(indices))
        handle.create_dataset("label", data=stamp_set.labels[:n].astype(np.int8))
        handle.create_dataset("split", data=stamp_set.meta["split"].to_numpy()[:n].astype(np.int8))
        handle.create_dataset("index", data=np.arange(n))
        if augment_cfg and augment_cfg["copies"] > 0:
            _write_augmented(handle, stamp_set, model, method, batch_size, augment_cfg, augment_seed, layer)
        for key, value in provenance(preprocessing=method, layer=layer, **attrs).items():
            handle.attrs[key] = value


def _write_augmented(handle, stamp_set, model, method, batch_size, cfg, seed, layer) -> None:
    from blendhunter.simulation.splits import SPLIT_CODES

    train = stamp_set.indices("train")
    copies = cfg["copies"]
    group = handle.create_group("augmented")
    features = group.create_dataset(
        "features", shape=(len(train) * copies, *feature_shape(layer)), dtype=np.float32
    )
    index = np.repeat(train, copies)
    progress = Progress(len(index), "augmented features", log)
    for start in range(0, len(train), batch_size):
        part = train[start : start + batch_size]
        images = augment(stamp_set.images(part), copies, cfg, seed + start)
        features[start * copies : start * copies + len(images)] = extract(
            model, images, method, batch_size, layer
        )
        progress.update(len(images))
    group.create_dataset("index", data=index)
    group.create_dataset("label", data=stamp_set.labels[index].astype(np.int8))
    group.create_dataset("split", data=np.full(len(index), SPLIT_CODES["train"], dtype=np.int8))


def _rows(dataset, mask: np.ndarray, block: int = 8192) -> np.ndarray:
    """dataset[mask], read block by block: memory holds the selection, not the file."""
    out = np.empty((int(mask.sum()), *dataset.shape[1:]), dtype=dataset.dtype)
    filled = 0
    for start in range(0, len(mask), block):
        keep = mask[start : start + block]
        if keep.any():
            rows = dataset[start : start + len(keep)][keep]
            out[filled : filled + len(rows)] = rows
            filled += len(rows)
    return out


def read_features(path: str | Path, split: str | None = None, augmented: bool = False):
    """(features, labels, indices) of one split, or of every stamp."""
    from blendhunter.simulation.splits import SPLIT_CODES

    with reading(path, "a feature file"), h5py.File(path, "r") as handle:
        parts = [handle]
        if augmented and split == "train" and "augmented" in handle:
            parts.append(handle["augmented"])
        xs, ys, idx = [], [], []
        for group in parts:
            codes = group["split"][()]
            mask = np.ones(len(codes), bool) if split is None else codes == SPLIT_CODES[split]
            xs.append(_rows(group["features"], mask))
            ys.append(group["label"][()][mask])
            idx.append(group["index"][()][mask])
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(idx)


def feature_blocks(path: str | Path, split: str | None = None, block: int = 8192):
    """(features, labels, indices) of one split (or every stamp), block by block of the
    file: memory holds one block, whatever the set's size (predictions at paper scale)."""
    from blendhunter.simulation.splits import SPLIT_CODES

    with reading(path, "a feature file"), h5py.File(path, "r") as handle:
        codes, labels, index = handle["split"][()], handle["label"][()], handle["index"][()]
        keep = np.ones(len(codes), bool) if split is None else codes == SPLIT_CODES[split]
        for start in range(0, len(keep), block):
            mask = keep[start : start + block]
            if mask.any():
                rows = slice(start, start + len(mask))
                yield handle["features"][rows][mask], labels[rows][mask], index[rows][mask]


def calibration_stamps(master_path, sigmas, seed: int, n: int) -> np.ndarray:
    """The stamps (n, 65, 65) that calibrate int8: the first n training stamps of the
    noiseless parametric master, each with noise at one of `sigmas` in turn (a stream of
    its own)."""
    from blendhunter.simulation import seeds
    from blendhunter.simulation.stamps import StampSet, noise

    master = StampSet(master_path)
    indices = master.indices("train")[:n]
    images = master.images(indices)
    stream = seeds.integer_seed(seed, seeds.CALIBRATION)
    for k, sigma in enumerate(sigmas):
        rows = np.arange(k, len(indices), len(sigmas))
        images[rows] += noise(stream, sigma, 0, indices[rows], images.shape[1:])
    return images


def calibration_inputs(master_path, sigmas, seed: int, n: int, method: str) -> np.ndarray:
    """Network inputs for int8 calibration: `calibration_stamps`, preprocessed."""
    return preprocess(calibration_stamps(master_path, sigmas, seed, n), method)


INT8_CALIBRATION_FILE = "int8_calibration.h5"  # in a head's directory: its int8 model's recipe


def write_int8_calibration(path, stamps: np.ndarray, attrs: dict) -> None:
    """The calibration stamps of the campaign's int8 model, kept with a head trained on its
    features, so `classify` rebuilds the same int8 model anywhere from the public weights."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        handle.create_dataset("stamps", data=np.asarray(stamps, np.float32), compression="gzip")
        handle.attrs.update(attrs)


def read_int8_calibration(path) -> np.ndarray:
    with reading(path, "int8 calibration stamps"), h5py.File(path, "r") as handle:
        return handle["stamps"][()]
