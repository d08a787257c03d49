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
        """(p_blend, labels, indices) of one split (None: all) of a feature file (head) or a
        stamp file (CNN)."""
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


def source(inputs, prefix: str = "") -> str:
    """The file a model scores among a rule's inputs (layout.Run.scored): features or stamps."""
    return str(inputs.get(f"{prefix}features") or inputs.get(f"{prefix}stamps"))
