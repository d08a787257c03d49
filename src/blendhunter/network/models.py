"""A trained model of either kind (network.kind): a dense head on VGG-16 features, which
scores a feature file, or a CNN, which scores a stamp file. The workflow's prediction
rules load and run both through here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from blendhunter.network import cnn, training

HEAD_KIND = "vgg16-head"  # heads made before the kind was recorded are this
KINDS = (HEAD_KIND, cnn.KIND)


def kind_of(metadata: dict) -> str:
    return metadata.get("kind", HEAD_KIND)


@dataclass
class Trained:
    model: object
    metadata: dict

    @property
    def kind(self) -> str:
        return kind_of(self.metadata)

    def score(self, source, split: str | None = None):
        """(logit, labels, indices) of one split (None: all) of a feature file (head) or a
        stamp file (CNN); p_blend = training.sigmoid(logit)."""
        if self.kind == cnn.KIND:
            from blendhunter.simulation.stamps import StampSet

            return cnn.predict_set(self.model, StampSet(source), split, self.metadata["input_size"])
        return training.predict_file(self.model, source, split)

    def write_predictions(self, source, split: str | None, threshold: float, out) -> None:
        training.write_scores(*self.score(source, split), threshold, out)


def load(model_dir: str | Path) -> Trained:
    model_dir = Path(model_dir)
    metadata = json.loads((model_dir / training.METADATA_FILE).read_text())
    return Trained(training.load_head(model_dir), metadata)


def training_split(kind: str, source, split: str, size: int):
    """(x, labels) of one split of what a model of `kind` trains on: the VGG-16 features
    of a feature file (head) or the preprocessed stamps of a stamp file (CNN)."""
    if kind == cnn.KIND:
        from blendhunter.simulation.stamps import StampSet

        x, y, _ = cnn.read_split(StampSet(source), split, size)
    else:
        from blendhunter.network.features import read_features

        x, y, _ = read_features(source, split)
    return x, y


def train(kind: str, x_train, y_train, x_val, y_val, settings: dict, seed: int, size: int):
    """(Trained, TrainingResult) of one model of `kind` with its settings (the head's
    `training` block or `network.cnn`)."""
    if kind == cnn.KIND:
        result = cnn.train_cnn(x_train, y_train, x_val, y_val, settings, seed)
        return Trained(result.model, {"kind": kind, "input_size": size}), result
    result = training.train_head(x_train, y_train, x_val, y_val, settings, seed)
    return Trained(result.model, {"kind": HEAD_KIND}), result


def source(inputs, prefix: str = "") -> str:
    """The file a model scores among a rule's inputs (layout.Run.scored): features or stamps."""
    return str(inputs.get(f"{prefix}features") or inputs.get(f"{prefix}stamps"))
