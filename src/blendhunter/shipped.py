"""Models that ship with the package: `blendhunter classify --model cfis-sigma15` works right
after install, with no campaign run.

A shipped model is a head's weights (float16, `weights.npz`) and its model card
(`card.json`): how it was trained (noise level, preprocessing, feature layer, VGG-16
weights MD5, split sizes, config digest, commit, date), how it scores on the reference
campaign's realistic set (accuracy per subset, AUC, against SEP) and its temperature.
The VGG-16 weights are not shipped: they come from the workflow's download or
`--vgg16-weights`.

    python -m blendhunter.maintainer export-model NAME MODEL_DIR BUNDLE --recommended
    blendhunter models                                                          # users
"""

from __future__ import annotations

import datetime
import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from blendhunter.evaluation.metrics import REPORTED_SUBSETS

CARD_FILE = "card.json"
WEIGHTS_FILE = "weights.npz"
# The Keras download of the ImageNet notop weights and the local copy in ../shared hold the
# same values in files of different bytes (../shared/weights/SOURCES.txt): either is accepted.
EQUIVALENT_VGG16_MD5 = ("6d6bbae143d832006294945121d1f1fc", "f7bfcc1e3cf2c2920e3e7c8066f6a557")
CARD_METADATA = (
    "kind", "input_size", "train_sigma", "realisation", "preprocessing", "layer", "precision", "engine",
    "weights", "vgg16_weights_md5", "n_train", "n_validation", "best_epoch", "hyperparameters", "threshold",
)  # fmt: skip


def folder() -> Path:
    return Path(str(resources.files("blendhunter").joinpath("models")))


def names() -> list[str]:
    root = folder()
    return sorted(p.parent.name for p in root.glob(f"*/{CARD_FILE}")) if root.is_dir() else []


def card(name: str) -> dict:
    return json.loads((folder() / name / CARD_FILE).read_text())


def recommended() -> str | None:
    return next((n for n in names() if card(n).get("recommended")), None)


def load(name: str):
    """The Keras model of a shipped model (a head or a CNN), its float16 weights cast back to
    float32."""
    from blendhunter.network import cnn
    from blendhunter.network.training import build_head

    meta = card(name)
    with np.load(folder() / name / WEIGHTS_FILE) as stored:
        weights = [stored[f"w{i}"].astype(np.float32) for i in range(len(stored.files))]
    settings = meta["metadata"]["hyperparameters"]
    if meta["metadata"].get("kind") == cnn.KIND:
        model = cnn.build_cnn(settings, int(meta["metadata"]["input_size"]), 0)
    else:
        model = build_head(settings["dropout"], 0, tuple(meta["feature_shape"]))
    model.set_weights(weights)
    return model


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _bundle_scores(bundle: Path, sigma: float, realisation: int) -> dict:
    """The head's realistic-set accuracy per subset, its AUC and SEP's, from a bundle."""
    tables = bundle / "tables"
    acc = pd.read_csv(tables / "realistic_accuracy.csv")
    rows = acc[(acc["train_sigma"] == sigma) & (acc["realisation"] == realisation)]
    rows = rows[rows["method"] == "blendhunter"].set_index("subset")
    sep = acc[acc["method"] == "sep"].drop_duplicates("subset").set_index("subset")
    roc = pd.read_csv(tables / "roc_auc.csv")
    head = roc[(roc["method"] == "blendhunter") & (roc["dataset"] == "realistic")]
    head = head[(head["train_sigma"] == sigma) & (head["realisation"] == realisation)]
    return {
        "accuracy": {s: round(float(rows.loc[s, "accuracy"]), 4) for s in REPORTED_SUBSETS},
        "sep_accuracy": {s: round(float(sep.loc[s, "accuracy"]), 4) for s in REPORTED_SUBSETS},
        "auc": round(float(head["auc"].iloc[0]), 4),
        "n": int(rows.loc["all", "n"]),
        "bundle": str(bundle),
    }


def export(name: str, model_dir: Path, bundle: Path, out_root: Path, recommended: bool, note: str) -> Path:
    """Write a shipped model from a workflow head and the bundle of its campaign."""
    from blendhunter.network.training import load_head

    metadata = json.loads((model_dir / "metadata.json").read_text())
    calibration = json.loads((model_dir / "calibration.json").read_text())
    manifest = json.loads((bundle / "MANIFEST.json").read_text())
    model = load_head(model_dir)
    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    weights = {f"w{i}": w.astype(np.float16) for i, w in enumerate(model.get_weights())}
    np.savez_compressed(out / WEIGHTS_FILE, **weights)
    meta = {k: metadata[k] for k in CARD_METADATA if k in metadata}
    if "vgg16_weights_md5" in meta:  # a head: its features' recipe
        meta.setdefault("layer", "block5_pool")
    if meta.get("vgg16_weights_md5") in EQUIVALENT_VGG16_MD5:
        meta["vgg16_weights_md5_equivalent"] = list(EQUIVALENT_VGG16_MD5)
    card_data = {
        "name": name,
        "recommended": recommended,
        "note": note,
        "metadata": meta,
        "feature_shape": list(model.input_shape[1:]),
        "temperature": calibration["temperature"],
        "config_sha256": manifest.get("config_sha256"),
        "commit": manifest.get("commit"),
        "trained": manifest.get("date"),
        "exported": datetime.date.today().isoformat(),
        "weights_md5": md5(out / WEIGHTS_FILE),
        "weights_dtype": "float16",
        "realistic": _bundle_scores(bundle, float(meta["train_sigma"]), int(meta["realisation"])),
    }
    (out / CARD_FILE).write_text(json.dumps(card_data, indent=2, sort_keys=True) + "\n")
    return out


def describe(name: str) -> str:
    """A model card in a few lines, for `blendhunter models`."""
    c = card(name)
    m, real = c["metadata"], c["realistic"]
    acc = ", ".join(f"{s} {100 * real['accuracy'][s]:.1f}" for s in REPORTED_SUBSETS)
    sep = ", ".join(f"{s} {100 * real['sep_accuracy'][s]:.1f}" for s in REPORTED_SUBSETS)
    star = " (recommended)" if c.get("recommended") else ""
    if m.get("kind") == "cnn":
        side = m["input_size"]
        network = f"a CNN on the central {side}x{side} pixels, {m['preprocessing']} input"
        weights = "no VGG-16"
    else:
        network = f"VGG-16 {m['layer']} features, {m['preprocessing']} input, {m['engine']} {m['precision']}"
        weights = f"VGG-16 weights md5 {m['vgg16_weights_md5']}"
    return "\n".join(
        [
            f"{name}{star}: {c.get('note', '')}",
            f"  trained at sigma {m['train_sigma']:g} on {m['n_train']:,} parametric stamps "
            f"({m['n_validation']:,} validation), {network}; temperature {c['temperature']:.2f}",
            f"  realistic set ({real['n']:,} stamps, sigma 14.5): AUC {real['auc']:.3f}; accuracy {acc}",
            f"  SEP on the same stamps: {sep}",
            f"  {weights}; config {str(c['config_sha256'])[:12]}, "
            f"commit {str(c['commit'])[:7]}, trained {c['trained']}; weights {c['weights_dtype']} "
            f"(md5 {c['weights_md5'][:12]})",
        ]
    )
