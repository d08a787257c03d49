"""A small CNN trained on the stamps themselves (`network.kind: cnn`).

No frozen ImageNet features: five 3x3 convolutions (ReLU; a 2x2 max-pool after every
second one and after the last), global average pooling, one dense layer with dropout, a
sigmoid. The input is the central `stamp.size` pixels (the padding is noise only) in units
of the stamp's own border noise, so the same stamp in other units gets the same answer:

    x = clip(stamp / border_sigma(stamp), -3, 30) / 10

The same function prepares training stamps (rule train_cnn) and users' stamps (classify).
It trains as the heads do: Adam, binary cross-entropy, the best validation loss kept,
early stopping and learning-rate cuts on the validation loss (training.fit).
"""

from __future__ import annotations

import logging

import numpy as np

from blendhunter.logs import Progress
from blendhunter.network.features import border_sigma
from blendhunter.network.training import TrainingResult, fit, run_record, sigmoid
from blendhunter.network.training import logits as training_logits

log = logging.getLogger(__name__)

KIND = "cnn"
PREPROCESSING = "border-snr"  # the input recipe above, recorded in the model's metadata
CLIP = (-3.0, 30.0)  # in units of the border noise: faint wings kept, bright cores capped
SCALE = 10.0  # brings the clipped range near unit size for the first layer
BATCH = 1024  # inference only


def central(stamps: np.ndarray, size: int) -> np.ndarray:
    """The central size x size pixels of stamps (n, side, side)."""
    side = stamps.shape[-1]
    if size > side or (side - size) % 2:
        raise ValueError(f"stamps of side {side} have no central {size}x{size} region")
    cut = (side - size) // 2
    return stamps[:, cut : side - cut, cut : side - cut]


def cnn_input(stamps: np.ndarray, size: int) -> np.ndarray:
    """Stamps (n, side, side) -> the network's input (n, size, size, 1), float32."""
    stamps = central(np.asarray(stamps, dtype=np.float32), size)
    sigma = border_sigma(stamps)
    sigma[sigma == 0] = 1.0  # a noiseless stamp: its own units
    low, high = CLIP
    return (np.clip(stamps / sigma[:, None, None], low, high) / SCALE)[..., None]


POOL = "pool"


def plan(filters: list[int]) -> list:
    """The convolutions' filters in order, POOL where a 2x2 max-pool follows."""
    steps = []
    for k, n in enumerate(filters):
        steps.append(n)
        if k % 2 == 1 or k == len(filters) - 1:
            steps.append(POOL)
    return steps


def conv_flops(steps: list, size: int, channels: int) -> int:
    """Floating-point operations (2 per multiply-add) of 3x3 'same' convolutions and 2x2
    pools (`plan`'s steps) on one size x size x channels input."""
    total = 0
    for step in steps:
        if step == POOL:
            size //= 2
            continue
        total += 2 * size * size * 9 * channels * step
        channels = step
    return total


def build_cnn(settings: dict, size: int, seed: int):
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(size, size, 1))]
    for step in plan(settings["filters"]):
        if step == POOL:
            layers.append(keras.layers.MaxPooling2D(2))
        else:
            layers.append(keras.layers.Conv2D(step, 3, padding="same", activation="relu"))
    layers += [
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(settings["dense"], activation="relu"),
        keras.layers.Dropout(settings["dropout"], seed=seed),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
    return keras.Sequential(layers, name="blendhunter_cnn")


def read_split(stamp_set, split: str | None, size: int, batch_size: int = BATCH):
    """(inputs, labels, indices) of one split of a StampSet (None: all of it)."""
    indices = stamp_set.indices(split)
    parts = [cnn_input(images, size) for _, images in stamp_set.batches(indices, batch_size)]
    x = np.concatenate(parts) if parts else np.empty((0, size, size, 1), np.float32)
    return x, stamp_set.labels[indices].astype(np.int8), indices


def train_cnn(x_train, y_train, x_val, y_val, settings: dict, seed: int) -> TrainingResult:
    import keras

    model = build_cnn(settings, x_train.shape[1], seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=settings["learning_rate"]),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return fit(model, x_train, y_train, x_val, y_val, settings)


def predict(model, stamps: np.ndarray, size: int) -> np.ndarray:
    """Blend probabilities (float64) of stamps (n, side, side)."""
    return sigmoid(logits(model, stamps, size))


def logits(model, stamps: np.ndarray, size: int) -> np.ndarray:
    """The final unit's logits (float64) of stamps (n, side, side)."""
    return training_logits(model, cnn_input(stamps, size), BATCH)


def predict_set(model, stamp_set, split: str | None, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logit, labels, indices) of one split of a StampSet, streamed batch by batch."""
    indices = stamp_set.indices(split)
    progress = Progress(len(indices), f"cnn {stamp_set.path.name}", log)
    parts = []
    for _, images in stamp_set.batches(indices, BATCH):
        parts.append(logits(model, images, size))
        progress.update(len(images))
    logit = np.concatenate(parts) if parts else np.empty(0)
    return logit, stamp_set.labels[indices].astype(np.int8), indices


def metadata(stamp_set, sigma, realisation, result, seed, settings, threshold, size) -> dict:
    """A CNN's metadata.json: its kind and input recipe (classify follows them), how it
    trained, and the versions."""
    return {
        "kind": KIND,
        "training_set": str(stamp_set.path),
        "train_sigma": sigma,
        "realisation": realisation,
        "preprocessing": PREPROCESSING,
        "input_size": size,
        **run_record(result, seed, settings, threshold),
    }
