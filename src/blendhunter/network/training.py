"""The dense head on cached VGG-16 features (paper Sect. 3.2.2).

Flatten -> Dense(256, linear) -> Dropout -> Dense(1024, ReLU) -> Dense(1, sigmoid),
binary cross-entropy, Adam; the weights of the best validation loss are kept;
training stops after `early_stopping_patience` epochs without improvement and
the learning rate is multiplied by `reduce_lr_factor` after `reduce_lr_patience`.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from blendhunter.io import reading
from blendhunter.network.features import FEATURE_SHAPE

log = logging.getLogger(__name__)

HEAD_FILE = "head.keras"
METADATA_FILE = "metadata.json"
HISTORY_FILE = "history.csv"
CALIBRATION_FILE = "calibration.json"  # written by rule predict, read by classify --calibrated
HISTORY_PLOT = "history.png"
LABELS = np.array(["isolated", "blended"])
VALIDATION_BATCH = 4096  # inference only: larger batches, fewer calls


def build_head(dropout: float = 0.1, seed: int = 0, input_shape: tuple = FEATURE_SHAPE):
    """The paper's head on features of `input_shape` (the feature layer's output)."""
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=tuple(input_shape)),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="linear"),
            keras.layers.Dropout(dropout, seed=seed),
            keras.layers.Dense(1024, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="blendhunter_head",
    )


@dataclass
class TrainingResult:
    model: object
    history: pd.DataFrame
    best_epoch: int  # 1-based
    seconds: float

    @property
    def best(self) -> pd.Series:
        return self.history.iloc[self.best_epoch - 1]


def _callbacks(settings: dict, logger: logging.Logger):
    import keras

    class KeepBest(keras.callbacks.Callback):
        """Keep the weights of the lowest validation loss; restore them at the end."""

        def __init__(self):
            super().__init__()
            self.best_loss, self.best_weights, self.best_epoch = np.inf, None, 0

        def on_epoch_end(self, epoch, logs=None):
            loss = logs["val_loss"]
            if loss < self.best_loss:
                self.best_loss, self.best_epoch = loss, epoch + 1
                self.best_weights = self.model.get_weights()
            logger.info(
                "epoch %d: loss %.4f acc %.4f val_loss %.4f val_acc %.4f lr %.2e",
                epoch + 1,
                logs["loss"],
                logs["accuracy"],
                loss,
                logs["val_accuracy"],
                float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)),
            )

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    keep_best = KeepBest()
    callbacks = [
        keep_best,
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=settings["early_stopping_patience"]),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=settings["reduce_lr_factor"], patience=settings["reduce_lr_patience"]
        ),
    ]
    return keep_best, callbacks


def steps_per_execution(n_train: int, batch_size: int) -> int:
    """A whole epoch per compiled call: Keras' per-step Python overhead paid once an epoch.
    Callbacks (best weights, early stopping, LR halving) act at epoch ends, so the
    schedule is unchanged."""
    return max(1, math.ceil(n_train / batch_size))


def train_head(
    x_train, y_train, x_val, y_val, settings: dict, seed: int, fast: bool = True
) -> TrainingResult:
    """Train one head with the paper's schedule; returns the best-validation model.

    fast=False runs Keras step by step (the reference for the training benchmark).
    """
    import keras

    model = build_head(settings["dropout"], seed, x_train.shape[1:])
    steps = steps_per_execution(len(x_train), settings["batch_size"]) if fast else 1
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=settings["learning_rate"],
            beta_1=settings["beta_1"],
            beta_2=settings["beta_2"],
            epsilon=settings["epsilon"],
        ),
        loss="binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps,
    )
    return fit(model, x_train, y_train, x_val, y_val, settings, VALIDATION_BATCH if fast else None)


def fit(model, x_train, y_train, x_val, y_val, settings: dict, validation_batch: int | None = None):
    """Train a compiled model with the schedule of `settings` (batch size, epochs, early
    stopping, learning-rate cuts); the weights of the best validation loss are kept."""
    keep_best, callbacks = _callbacks(settings, log)
    start = time.perf_counter()
    found = model.fit(
        x_train,
        y_train.astype(np.float32),
        validation_data=(x_val, y_val.astype(np.float32)),
        batch_size=settings["batch_size"],
        validation_batch_size=validation_batch,
        epochs=settings["max_epochs"],
        shuffle=True,
        callbacks=callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    history = pd.DataFrame(found.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    return TrainingResult(model, history, keep_best.best_epoch, seconds)


def predict(model, features: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Blend probabilities, float64 in [0, 1], of a head or a CNN."""
    return sigmoid(logits(model, features, batch_size))


_HIDDEN = weakref.WeakKeyDictionary()  # model -> the same layers but the last (built once)


def logits(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """The final sigmoid unit's input, in float64. A float32 sigmoid rounds every logit
    above about 17 to exactly 1.0: a confident model's scores then tie, and a threshold
    matched to a false-positive rate falls among the ties (docs/science.md)."""
    import keras

    hidden = _HIDDEN.get(model)
    if hidden is None:
        hidden = _HIDDEN[model] = keras.Sequential(model.layers[:-1])
    h = np.asarray(hidden.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    weights, bias = (np.asarray(v, dtype=np.float64) for v in model.layers[-1].get_weights())
    return h @ weights[:, 0] + bias[0]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow."""
    return np.exp(-np.logaddexp(0.0, -z))


def predict_file(model, features_path, split: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logit, labels, indices) of one split of a feature file, streamed block by block."""
    from blendhunter.network.features import feature_blocks

    parts = [(logits(model, x), y, idx) for x, y, idx in feature_blocks(features_path, split)]
    if not parts:
        return np.empty(0), np.empty(0, np.int8), np.empty(0, np.int64)
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def label_names(p_blend: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    return LABELS[(p_blend >= threshold).astype(int)]


def predictions_frame(indices, logit, threshold: float = 0.5) -> pd.DataFrame:
    """The prediction table of CONTRACTS.md: index, p_blend, label, logit (what ranks
    stamps: p_blend ties at 1.0 for a confident model)."""
    p_blend = sigmoid(np.asarray(logit, dtype=np.float64))
    labels = label_names(p_blend, threshold)
    return pd.DataFrame({"index": np.asarray(indices), "p_blend": p_blend, "label": labels, "logit": logit})


def write_predictions(model, features_path, split: str | None, threshold: float, out) -> None:
    """One split of a feature file (None: all of it) scored into a prediction table."""
    write_scores(*predict_file(model, features_path, split), threshold, out)


def write_scores(logit, y, indices, threshold: float, out) -> None:
    """Scores of one split, (logit, labels, indices), written as a prediction table."""
    from blendhunter.io import atomic_path

    frame = predictions_frame(indices, logit, threshold)
    accuracy = float(((frame["p_blend"] >= threshold) == y).mean())
    log.info("%s: %d stamps, accuracy %.4f", out, len(y), accuracy)
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)


def run_record(result: TrainingResult, seed: int, settings: dict, threshold: float) -> dict:
    """How a model trained (every kind's metadata.json has it) and the versions."""
    from blendhunter.io import versions

    best = result.best
    return {
        "epochs_run": int(len(result.history)),
        "best_epoch": int(result.best_epoch),
        "best_val_loss": float(best.val_loss),
        "best_val_accuracy": float(best.val_accuracy),
        "training_seconds": round(result.seconds, 2),
        "seed": seed,
        "hyperparameters": settings,
        "threshold": threshold,
        "versions": versions(),
    }


def head_metadata(
    feature_attrs: dict,
    features_file: str,
    sigma: float,
    realisation: int,
    result: TrainingResult,
    seed: int,
    settings: dict,
    threshold: float,
) -> dict:
    """A head's metadata.json: how its features were made (classify follows them), how it
    trained, and the versions. Sizes of its splits are added by the caller."""
    from blendhunter.network.features import DEFAULT_LAYER

    return {
        "training_set": feature_attrs["stamps_file"],
        "features_file": features_file,
        "train_sigma": sigma,
        "realisation": realisation,
        "preprocessing": feature_attrs["preprocessing"],
        "layer": feature_attrs.get("layer", DEFAULT_LAYER),
        "precision": feature_attrs["precision"],
        "engine": feature_attrs.get("engine", "tensorflow"),
        "weights": feature_attrs.get("weights", "imagenet"),
        "vgg16_weights_md5": feature_attrs["vgg16_weights_md5"],
        **run_record(result, seed, settings, threshold),
    }


def load_head(model_dir: str | Path):
    import keras

    path = Path(model_dir) / HEAD_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{model_dir}: no {HEAD_FILE}; is this a BlendHunter model directory?")
    with reading(path, "a trained head"):
        return keras.models.load_model(path)


def plot_history(history: pd.DataFrame, best_epoch: int, title: str, path: str | Path) -> None:
    """Loss and accuracy against epoch, training and validation, best epoch marked."""
    from blendhunter.evaluation.plots import subplots

    fig, axes = subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for ax, metric, name in ((axes[0], "loss", "binary cross-entropy"), (axes[1], "accuracy", "accuracy")):
        ax.plot(history["epoch"], history[metric], label="training", color="0.3")
        ax.plot(history["epoch"], history[f"val_{metric}"], label="validation", color="tab:blue")
        ax.axvline(best_epoch, color="tab:red", ls=":", lw=1, label=f"best epoch ({best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
    axes[0].legend(frameon=False)
    fig.suptitle(title)
    fig.savefig(path, dpi=120)
