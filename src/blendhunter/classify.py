"""Classify stamps with a trained model: the library under `blendhunter classify`.

From a notebook::

    from blendhunter.classify import Classifier, classify_stamps
    model = Classifier.from_model("cfis-sigma15", vgg16_weights="resources/vgg16_notop.h5")
    table = classify_stamps(model, stamps)   # stamps: (n, 51, 51) or (n, 65, 65) counts

A model is a shipped model's name, a head's directory made by the workflow
(results/models/sigma15/real0) or a noise level's (its realisations averaged). Every
stamp also gets the domain check (`blendhunter.domain`): a flagged row keeps its
`p_blend` but gets the label `out_of_domain`, since the head's probability means what
its card says only near its training domain. Every problem is an InputError whose
message names it and the fix.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from blendhunter.errors import BlendHunterError, InputError
from blendhunter.network.features import INPUT_SIZE

log = logging.getLogger(__name__)

STAMP_SIZES = (51, INPUT_SIZE)
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
HDF5_SUFFIXES = (".h5", ".hdf5")
TABLE_SUFFIXES = (".csv", ".fits", ".fit")
EDGE_WIDTH = 5  # px of a 51x51 stamp's frame that estimate its noise for the padding
OUT_OF_DOMAIN = "out_of_domain"  # the label of a flagged row


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def check_threads(threads: int) -> int:
    """0 (every core) or 1..the cores this process may use; more would only oversubscribe."""
    cores = usable_cores()
    if not 0 <= threads <= cores:
        raise InputError(
            f"--threads {threads}: give 0 (every core) or 1 to {cores}, the cores this process may use"
        )
    return threads


# --- stamps ----------------------------------------------------------------------------------


def _check_shape(shape: tuple, source: str) -> tuple:
    """(N, side, side) of a cube, a single 2-D stamp counting as N = 1."""
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in STAMP_SIZES or shape[0] == 0:
        raise InputError(f"{source}: stamps must be a cube N x 51 x 51 or N x 65 x 65, got shape {shape}")
    return shape


def _check_finite(batch: np.ndarray, first: int, source: str) -> np.ndarray:
    """The batch as float32, or an InputError naming the first stamp with NaN, infinite or
    beyond-float32 pixels (which would become infinite)."""
    with np.errstate(over="ignore", invalid="ignore"):
        batch = np.asarray(batch).astype(np.float32)
    bad = ~np.isfinite(batch)
    if bad.any():
        stamp = first + int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
        raise InputError(
            f"{source}: stamp {stamp} contains NaN, infinite or beyond-float32 pixels; replace or drop it"
        )
    return batch


class StampSource:
    """The stamps of a FITS cube (read by sections) or a workflow HDF5 file, read in
    batches, so memory holds one batch whatever the number of stamps."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"{self.path}: no such file")
        name = self.path.name.lower()
        if name.endswith(FITS_SUFFIXES):
            self._open_fits()
        elif name.endswith(HDF5_SUFFIXES):
            self._open_hdf5()
        else:
            raise InputError(f"{self.path}: unknown format; give a .fits cube or a workflow .h5 stamp file")

    def _open_fits(self) -> None:
        """The primary HDU, read by sections: a batch at a time, also for gzipped and
        scaled-integer (BSCALE/BZERO) cubes."""
        from astropy.io import fits

        try:
            # sections read from the file by seeks; memmap cannot hold scaled data
            self._hdul = fits.open(self.path, memmap=False)
            hdu = self._hdul[0]
            shape = tuple(hdu.shape)
        except (OSError, ValueError, IndexError, TypeError, EOFError) as err:
            raise InputError(f"{self.path}: not a readable FITS file ({err})") from err
        if not shape or 0 in shape:
            raise InputError(f"{self.path}: no stamps (the primary HDU is empty)")
        self.shape = _check_shape(shape, str(self.path))
        single = len(shape) == 2

        def read(start: int, stop: int) -> np.ndarray:
            try:
                data = hdu.section[:, :] if single else hdu.section[start:stop]
                return np.asarray(data).reshape(-1, *self.shape[1:])
            except (OSError, ValueError, EOFError, TypeError, IndexError) as err:
                raise InputError(f"{self.path}: stamps {start}..{stop - 1} cannot be read ({err})") from err

        self._read = read

    def _open_hdf5(self) -> None:
        from blendhunter.simulation.stamps import StampSet

        hint = "give a stamp file made by the workflow (results/stamps/...) or a FITS cube"
        try:
            stamp_set = StampSet(self.path)
            side = stamp_set.images(np.arange(min(1, len(stamp_set)))).shape[1:]
        except (OSError, KeyError, ValueError, TypeError, BlendHunterError) as err:
            reason = "damaged" if isinstance(err, OSError) else "no stamps in it"
            raise InputError(f"{self.path}: not a BlendHunter stamp file ({reason}); {hint}") from err
        self.shape = _check_shape((len(stamp_set), *side), str(self.path))
        self._read = lambda start, stop: stamp_set.images(np.arange(start, stop))

    def __len__(self) -> int:
        return self.shape[0]

    def batches(self, batch_size: int):
        """Yield (first index, stamps (n, side, side) float32, finite) as stored."""
        for start in range(0, len(self), batch_size):
            stop = min(start + batch_size, len(self))
            yield start, _check_finite(self._read(start, stop), start, str(self.path))


def pad_like_training(stamps: np.ndarray, mode: str = "noise", seed: int = 0, first_index: int = 0):
    """51x51 stamps to 65x65. Training stamps were padded *before* noise was added,
    so with mode 'noise' the border gets Gaussian noise of each stamp's own
    (edge-estimated) sigma, from a stream per stamp index (the same whatever the
    batch size); 'zeros' leaves it empty."""
    from blendhunter.network.features import border_sigma, pad_stamps

    if stamps.shape[1] == INPUT_SIZE:
        return stamps
    padded = pad_stamps(stamps)
    if mode == "zeros":
        return padded
    border = np.ones(padded.shape[1:], dtype=bool)
    pad = (padded.shape[1] - stamps.shape[1]) // 2
    border[pad:-pad, pad:-pad] = False
    sigma = border_sigma(stamps, EDGE_WIDTH)
    for row in range(len(stamps)):
        rng = np.random.default_rng([seed, first_index + row])
        padded[row, border] = rng.standard_normal(int(border.sum())) * sigma[row]
    return padded


# --- models ----------------------------------------------------------------------------------


def head_dirs(model: Path) -> list[Path]:
    """The head directories of a model: itself, or the realisations (real*/) of a noise level."""
    from blendhunter import shipped
    from blendhunter.network.training import HEAD_FILE

    if (model / HEAD_FILE).is_file():
        return [model]
    found = sorted(path.parent for path in model.glob(f"*/{HEAD_FILE}")) if model.is_dir() else []
    if found:
        return found
    if not model.exists() and os.sep not in str(model):
        names = ", ".join(shipped.names()) or "none installed"
        raise InputError(
            f"--model {model}: neither a shipped model (blendhunter models: {names}) nor a directory"
        )
    raise InputError(
        f"--model {model}: no {HEAD_FILE} in it or in its subdirectories; give a directory made "
        "by the workflow: one head (results/models/sigma15/real0) or a noise level's "
        "(results/models/sigma15)"
    )


def _load_head_dir(model_dir: Path):
    """A head, or an InputError that says which file is damaged."""
    from blendhunter.network.training import HEAD_FILE, load_head

    try:
        return load_head(model_dir)
    except Exception as err:  # Keras raises many kinds for a damaged file
        raise InputError(
            f"--model {model_dir}: {HEAD_FILE} cannot be loaded ({type(err).__name__}); "
            "rebuild it with the workflow (rule train_head)"
        ) from err


def _read_json(path: Path, what: str) -> dict:
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: unreadable {what} ({err}); rebuild it with the workflow") from err
    if not isinstance(found, dict):
        raise InputError(f"{path}: unreadable {what} (not a JSON object); rebuild it with the workflow")
    return found


def check_cnn_metadata(metadata: dict, where: str) -> dict:
    """A CNN's input recipe: its preprocessing and input size."""
    from blendhunter.network import cnn

    size = metadata.get("input_size")
    if metadata.get("preprocessing") != cnn.PREPROCESSING or not (
        isinstance(size, int) and 8 <= size <= INPUT_SIZE and size % 2 == 1
    ):
        raise InputError(
            f"{where}: a CNN needs preprocessing {cnn.PREPROCESSING!r} and an odd input_size of "
            f"at most {INPUT_SIZE} (found {metadata.get('preprocessing')!r}, {size!r}); the "
            "model's metadata is damaged or from another tool: rebuild it with the workflow"
        )
    return metadata


def check_metadata(metadata: dict, where: str) -> dict:
    """The recipe of the head's features, each key present and known."""
    from blendhunter.network import models
    from blendhunter.network.engine import ENGINES, PRECISIONS
    from blendhunter.network.features import LAYERS, PREPROCESSING

    kind = models.kind_of(metadata)
    if kind not in models.KINDS:
        raise InputError(
            f"{where}: kind is {kind!r}, not one of {', '.join(models.KINDS)}; the model's "
            "metadata is damaged or from another tool: rebuild it with the workflow"
        )
    if kind != models.HEAD_KIND:
        return check_cnn_metadata(metadata, where)

    known = {
        "preprocessing": PREPROCESSING,
        "precision": PRECISIONS,
        "layer": tuple(LAYERS),
        "engine": ENGINES,
    }
    defaults = {"layer": "block5_pool", "engine": "tensorflow"}  # heads made before these keys
    for key, allowed in known.items():
        value = metadata.get(key, defaults.get(key))
        if value not in allowed:
            found = "missing" if value is None else repr(value)
            raise InputError(
                f"{where}: {key} is {found}, not one of {', '.join(allowed)}; "
                "the head's metadata is damaged or from another tool: rebuild it with the workflow"
            )
    if not isinstance(metadata.get("vgg16_weights_md5"), str):
        raise InputError(f"{where}: no vgg16_weights_md5; rebuild the head's metadata with the workflow")
    return metadata


def read_model_metadata(model_dir: Path) -> dict:
    from blendhunter.network.training import HEAD_FILE, METADATA_FILE

    for name in (HEAD_FILE, METADATA_FILE):
        if not (model_dir / name).is_file():
            raise InputError(
                f"--model {model_dir}: no {name}; give a directory made by the workflow, "
                "e.g. results/models/sigma15/real0"
            )
    path = model_dir / METADATA_FILE
    return check_metadata(_read_json(path, "head metadata"), str(path))


SHARED_METADATA = (
    "kind", "preprocessing", "input_size", "layer", "precision", "engine", "weights", "vgg16_weights_md5",
)  # fmt: skip


def ensemble_metadata(dirs: list[Path]) -> dict:
    """The metadata of the first head; every head must share its features' recipe."""
    found = [read_model_metadata(d) for d in dirs]
    for directory, metadata in zip(dirs[1:], found[1:], strict=True):
        differs = [k for k in SHARED_METADATA if metadata.get(k) != found[0].get(k)]
        if differs:
            raise InputError(
                f"--model: {directory} and {dirs[0]} differ in {', '.join(differs)}; "
                "an ensemble needs heads trained on the same features"
            )
    return found[0]


def check_temperature(value, where: str) -> float:
    """A temperature divides logits: positive and finite, or every label is wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise InputError(
            f"{where}: temperature {value!r} is not a positive finite number; rebuild it with the "
            "workflow (rule predict), or leave out --calibrated"
        )
    return float(value)


def read_temperature(model_dir: Path) -> float:
    from blendhunter.network.training import CALIBRATION_FILE

    path = model_dir / CALIBRATION_FILE
    if not path.is_file():
        raise InputError(
            f"--calibrated: no {CALIBRATION_FILE} in {model_dir}; build it with "
            f"snakemake {model_dir}/{CALIBRATION_FILE} (rule predict), or leave out --calibrated"
        )
    return check_temperature(_read_json(path, "calibration").get("temperature"), str(path))


def head_layer(metadata: dict) -> str:
    """The VGG-16 layer the head was trained on (heads made before features.layer: the paper's)."""
    from blendhunter.network.features import DEFAULT_LAYER

    return metadata.get("layer", DEFAULT_LAYER)


def _shipped_model(name: str, calibrated: bool):
    from blendhunter import shipped

    try:
        card = shipped.card(name)
        metadata = check_metadata(card["metadata"], f"shipped model {name}")
        temperature = check_temperature(card["temperature"], f"shipped model {name}") if calibrated else 1.0
    except (OSError, ValueError, KeyError, TypeError, InputError) as err:
        raise InputError(
            f"--model {name}: the shipped model's card is damaged ({err}); reinstall blendhunter "
            "(pip install --force-reinstall -e .)"
        ) from err

    def load():
        try:
            return shipped.load(name)
        except Exception as err:  # np.load and Keras raise many kinds for a damaged file
            raise InputError(
                f"--model {name}: the shipped model's weights are damaged ({type(err).__name__}); "
                "reinstall blendhunter (pip install --force-reinstall -e .)"
            ) from err

    return metadata, [load], [temperature], None


def open_model(model: str, calibrated: bool = False) -> tuple[dict, list, list[float], Path | None]:
    """(metadata, head loaders, temperatures, the first head's directory) of a model: a
    shipped model's name, a head's directory or a noise level's (its realisations averaged)."""
    from blendhunter import shipped

    if model in shipped.names() and not Path(model).exists():
        return _shipped_model(model, calibrated)
    dirs = head_dirs(Path(model))
    metadata = ensemble_metadata(dirs)
    temperatures = [read_temperature(d) for d in dirs] if calibrated else [1.0] * len(dirs)
    return metadata, [lambda d=d: _load_head_dir(d) for d in dirs], temperatures, dirs[0]


def is_cnn(metadata: dict) -> bool:
    from blendhunter.network import cnn, models

    return models.kind_of(metadata) == cnn.KIND


def train_sigma(metadata: dict) -> float:
    """The head's training noise (NaN for heads that do not record it)."""
    value = metadata.get("train_sigma")
    return float(value) if isinstance(value, (int, float)) and value > 0 else math.nan


def check_weights(path: str | Path) -> None:
    from blendhunter.workflow.inputs import ResourceError, check_vgg16_weights

    try:
        check_vgg16_weights(path)
    except ResourceError as err:
        found = str(err).split(": ", 1)[1].split("; ")[0]
        raise InputError(
            f"--vgg16-weights: {found}; give the VGG-16 notop ImageNet .h5 file (the workflow "
            "fetches it as resources/vgg16_notop.h5: snakemake resources/vgg16_notop.h5)"
        ) from err


def check_matches_training(
    metadata: dict, weights_md5: str, engine: str | None, precision: str | None, allow_mismatch: bool
) -> None:
    """Features must be made as the head's were: the same weights (or a file of the same
    values, for shipped models), engine and precision."""
    trained_md5 = metadata.get("vgg16_weights_md5")
    if weights_md5 in metadata.get("vgg16_weights_md5_equivalent", ()):
        weights_md5 = trained_md5
    wanted = {
        "--vgg16-weights (md5)": (weights_md5, trained_md5),
        "--engine": (engine, metadata.get("engine", "tensorflow")),
        "--precision": (precision, metadata.get("precision")),
    }
    differ = [
        f"{flag} {given} (the head's: {trained})"
        for flag, (given, trained) in wanted.items()
        if given is not None and given != trained
    ]
    if not differ:
        return
    text = "; ".join(differ)
    if not allow_mismatch:
        raise InputError(
            f"the head was trained on other features: {text}; use the head's settings, "
            "or --allow-mismatch to run anyway (results are then only approximate)"
        )
    log.warning("running on features unlike the head's training (--allow-mismatch): %s", text)


@functools.lru_cache(maxsize=4)
def _engine(
    name: str, weights: str, weights_md5: str, precision: str, threads: int, layer: str, int8: str | None
):
    """One engine per weights file (by content), kept for the next model of the process."""
    from blendhunter.network import engine

    exported = int8
    if name == "onnxruntime" and precision == "float32":
        exported = engine.cached_export(weights, layer)
    return engine.load(name, weights, precision, threads, exported, layer)


def _int8_model(metadata: dict, weights, home: Path | None) -> str | None:
    """The int8 model beside the weights (the campaign's own), else the one rebuilt into the
    cache from the calibration stamps the head carries; None: neither (load says why)."""
    from blendhunter.network import engine
    from blendhunter.network.features import INT8_CALIBRATION_FILE

    layer = head_layer(metadata)
    if engine.model_paths(weights, layer)["int8"].is_file() or home is None:
        return None
    calibration = home / INT8_CALIBRATION_FILE
    if not calibration.is_file():
        return None
    return str(engine.cached_int8(weights, layer, calibration, metadata["preprocessing"]))


def load_engine(
    metadata: dict,
    vgg16_weights,
    engine_name=None,
    precision=None,
    threads: int = 0,
    home: Path | None = None,
):
    """The model's feature engine and precision (or the ones asked for), ready to run; `home`:
    the head's directory, whose int8 calibration stamps rebuild an int8 model."""
    from blendhunter.io import md5sum
    from blendhunter.network import engine

    name = engine_name or metadata.get("engine", "tensorflow")
    precision = precision or metadata["precision"]
    layer = head_layer(metadata)
    try:
        engine.check_supported(name, precision)
        int8 = _int8_model(metadata, vgg16_weights, home) if precision == "int8" else None
        return _engine(name, str(vgg16_weights), md5sum(vgg16_weights), precision, threads, layer, int8)
    except engine.EngineError as err:
        message = str(err).replace("features.engine", "--engine").replace("features.precision", "--precision")
        raise InputError(message) from err


@dataclass
class Classifier:
    """A model ready to score stamps: its heads, their temperatures, the VGG-16 engine."""

    name: str
    metadata: dict
    heads: list
    temperatures: list[float]
    infer: object
    batch_size: int = 256

    @classmethod
    def from_model(
        cls,
        model: str,
        vgg16_weights: str | Path = "resources/vgg16_notop.h5",
        *,
        calibrated: bool = False,
        engine: str | None = None,
        precision: str | None = None,
        threads: int = 0,
        allow_mismatch: bool = False,
        batch_size: int = 256,
    ) -> Classifier:
        """A shipped model's name, a head's directory or a noise level's, with its engine."""
        from blendhunter.io import md5sum
        from blendhunter.network.features import feature_shape

        check_threads(threads)
        metadata, loaders, temperatures, home = open_model(model, calibrated)
        if is_cnn(metadata):
            return cls.cnn(model, metadata, loaders, temperatures, engine, precision, batch_size)
        check_weights(vgg16_weights)
        check_matches_training(metadata, md5sum(vgg16_weights), engine, precision, allow_mismatch)
        heads = [load() for load in loaders]
        wanted = feature_shape(head_layer(metadata))
        for head in heads:
            if tuple(head.input_shape[1:]) != wanted:
                raise InputError(
                    f"--model {model}: the head takes features of shape {tuple(head.input_shape[1:])}, "
                    f"not {wanted} of its metadata's layer {head_layer(metadata)}; rebuild the head"
                )
        infer = load_engine(metadata, vgg16_weights, engine, precision, threads, home)
        return cls(model, metadata, heads, temperatures, infer, batch_size)

    @classmethod
    def cnn(cls, model, metadata, loaders, temperatures, engine, precision, batch_size) -> Classifier:
        """A CNN model: no VGG-16 features, so no engine or precision to choose."""
        if engine or precision:
            raise InputError(
                f"--model {model} is a CNN trained on the stamps, not VGG-16 features: leave out "
                "--engine and --precision"
            )
        heads = [load() for load in loaders]
        size = metadata["input_size"]
        for head in heads:
            if tuple(head.input_shape[1:]) != (size, size, 1):
                raise InputError(
                    f"--model {model}: the CNN takes inputs of shape {tuple(head.input_shape[1:])}, "
                    f"not ({size}, {size}, 1) of its metadata's input_size; rebuild it"
                )
        return cls(model, metadata, heads, temperatures, None, batch_size)

    @property
    def train_sigma(self) -> float:
        return train_sigma(self.metadata)

    @property
    def threshold(self) -> float:
        return float(self.metadata.get("threshold", 0.5))

    def p_blend(self, stamps: np.ndarray) -> np.ndarray:
        """(heads, n) probabilities of stamps (n, 65, 65), already padded."""
        from blendhunter.evaluation.scores import apply_temperature
        from blendhunter.network import cnn, features, training

        if is_cnn(self.metadata):
            found = [cnn.predict(head, stamps, self.metadata["input_size"]) for head in self.heads]
        else:
            x = features.extract(
                self.infer, stamps, self.metadata["preprocessing"], self.batch_size, head_layer(self.metadata)
            )
            found = [training.predict(head, x) for head in self.heads]
        return np.stack(
            [
                p if t == 1.0 else apply_temperature(p, t)
                for p, t in zip(found, self.temperatures, strict=True)
            ]
        )


def labels(p_blend: np.ndarray, flags: pd.Series, threshold: float) -> np.ndarray:
    """blended / isolated by the threshold, out_of_domain where the domain check flagged."""
    from blendhunter.network.training import label_names

    return np.where(flags.to_numpy() != "", OUT_OF_DOMAIN, label_names(p_blend, threshold))


def score_batch(
    classifier: Classifier,
    stamps: np.ndarray,
    pad: str = "noise",
    first_index: int = 0,
    recentre: bool = False,
):
    """(p_blend of each head (heads, n), domain columns) of stamps (n, 51 or 65, same);
    with `recentre`, each stamp is first moved to put its source's light on the centre
    pixel (the shift is written in shift_x, shift_y)."""
    from blendhunter import centring, domain

    if recentre:
        stamps, shift_x, shift_y, ok = centring.recentre_stamps(stamps)
    checked = domain.check(stamps, classifier.train_sigma)
    if recentre:
        checked = checked.assign(shift_x=shift_x, shift_y=shift_y)
        checked["flags"] = domain.add_flag(checked["flags"], ~ok, "centring")
    padded = pad_like_training(stamps, pad, first_index=first_index)
    return classifier.p_blend(padded), checked


def table(p_heads: np.ndarray, checked: pd.DataFrame, threshold: float, first_index: int = 0) -> pd.DataFrame:
    """The classify table (docs/CONTRACTS.md): index, p_blend[, p_blend_std], label and the
    domain columns."""
    p = p_heads.mean(axis=0)
    out = pd.DataFrame({"index": np.arange(first_index, first_index + len(p)), "p_blend": p})
    if len(p_heads) > 1:
        out["p_blend_std"] = p_heads.std(axis=0)
    out["label"] = labels(p, checked["flags"], threshold)
    return pd.concat([out, checked.reset_index(drop=True)], axis=1)


def classify_stamps(
    classifier: Classifier,
    stamps: np.ndarray,
    threshold: float | None = None,
    pad: str = "noise",
    recentre: bool = False,
) -> pd.DataFrame:
    """The classify table of an array of stamps (n, 51, 51) or (n, 65, 65), or one stamp."""
    stamps = np.asarray(stamps)
    shape = _check_shape(stamps.shape, "stamps")
    stamps = _check_finite(stamps.reshape(shape), 0, "stamps")
    parts = []
    for start in range(0, len(stamps), classifier.batch_size):
        batch = stamps[start : start + classifier.batch_size]
        parts.append(score_batch(classifier, batch, pad, start, recentre))
    p_heads = np.concatenate([p for p, _ in parts], axis=1)
    checked = pd.concat([c for _, c in parts], ignore_index=True)
    return table(p_heads, checked, classifier.threshold if threshold is None else threshold)


def classify_file(
    classifier: Classifier,
    path: str | Path | StampSource,
    threshold: float | None = None,
    pad: str = "noise",
    progress=None,
    recentre: bool = False,
) -> pd.DataFrame:
    """The classify table of a FITS cube or workflow stamp file, streamed in batches;
    progress(n) is called after each batch."""
    source = path if isinstance(path, StampSource) else StampSource(path)
    p_heads = np.empty((len(classifier.heads), len(source)))
    parts = []
    for start, batch in source.batches(classifier.batch_size):
        p, checked = score_batch(classifier, batch, pad, start, recentre)
        p_heads[:, start : start + len(batch)] = p
        parts.append(checked)
        if progress is not None:
            progress(len(batch))
    checked = pd.concat(parts, ignore_index=True)
    return table(p_heads, checked, classifier.threshold if threshold is None else threshold)


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """CSV or FITS by the extension, atomically; anything else is refused before."""
    from blendhunter.io import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        if path.name.lower().endswith((".fits", ".fit")):
            from astropy.table import Table

            Table.from_pandas(frame).write(tmp, format="fits")
        else:
            frame.to_csv(tmp, index=False)
