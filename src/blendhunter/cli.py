"""`blendhunter classify`: a trained model on your own stamps.

    blendhunter classify --model results/models/sigma15/real0 \\
        --vgg16-weights resources/vgg16_notop.h5 --output out.csv stamps.fits

Input: a FITS file whose primary HDU is a cube N x 51 x 51 (zero-padded to
65 x 65 as in training) or N x 65 x 65, or one of the workflow's HDF5 stamp
files. Output: CSV with columns index,p_blend,label (label blended/isolated).
--model may also be a noise level's directory (results/models/sigma15): the
heads of all its realisations are averaged and p_blend_std is written beside
p_blend. --calibrated applies each head's temperature (calibration.json, fitted
on its validation split by the workflow's rule predict) before averaging.
Bad input exits with status 2 and a message; no output file is left behind.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .engine import ENGINES, PRECISIONS
from .features import INPUT_SIZE

STAMP_SIZES = (51, INPUT_SIZE)
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
HDF5_SUFFIXES = (".h5", ".hdf5")


class InputError(ValueError):
    """The user's input cannot be classified; the message says why and what to do."""


def _check_shape(shape: tuple, source: str) -> tuple:
    """(N, side, side) of a cube, a single 2-D stamp counting as N = 1."""
    if len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in STAMP_SIZES or shape[0] == 0:
        raise InputError(f"{source}: stamps must be a cube N x 51 x 51 or N x 65 x 65, got shape {shape}")
    return shape


def _check_finite(batch: np.ndarray, first: int, source: str) -> np.ndarray:
    bad = ~np.isfinite(batch)
    if bad.any():
        stamp = first + int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
        raise InputError(f"{source}: stamp {stamp} contains NaN or infinite pixels; replace or drop it")
    return batch.astype(np.float32)


class StampSource:
    """The stamps of a FITS cube (memory-mapped) or a workflow HDF5 file, read in batches,
    so memory holds one batch whatever the number of stamps."""

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
        from astropy.io import fits

        try:
            self._hdul = fits.open(self.path, memmap=True)
            data = self._hdul[0].data
        except (OSError, ValueError) as err:
            raise InputError(f"{self.path}: not a readable FITS file ({err})") from err
        if data is None or data.size == 0:
            raise InputError(f"{self.path}: no stamps (the primary HDU is empty)")
        self.shape = _check_shape(data.shape, str(self.path))
        self._data = data.reshape(self.shape)
        self._read = lambda start, stop: np.asarray(self._data[start:stop])

    def _open_hdf5(self) -> None:
        from .stamps import StampSet

        try:
            stamp_set = StampSet(self.path)
            side = stamp_set.images(np.arange(min(1, len(stamp_set)))).shape[1:]
        except (OSError, KeyError, ValueError) as err:
            raise InputError(f"{self.path}: not a BlendHunter stamp file ({err})") from err
        self.shape = _check_shape((len(stamp_set), *side), str(self.path))
        self._read = lambda start, stop: stamp_set.images(np.arange(start, stop))

    def __len__(self) -> int:
        return self.shape[0]

    def batches(self, batch_size: int, pad: str = "noise"):
        """Yield (first index, stamps (n, 65, 65) float32), padded like training."""
        for start in range(0, len(self), batch_size):
            stop = min(start + batch_size, len(self))
            batch = _check_finite(self._read(start, stop), start, str(self.path))
            if batch.shape[1] != INPUT_SIZE:
                batch = pad_like_training(batch, pad, first_index=start)
            yield start, batch


def edge_sigma(stamps: np.ndarray, width: int = 5) -> np.ndarray:
    """Per-stamp noise sigma from the outer frame of pixels (1.4826 x MAD)."""
    frame = np.ones(stamps.shape[1:], dtype=bool)
    frame[width:-width, width:-width] = False
    pixels = stamps[:, frame]
    mad = np.median(np.abs(pixels - np.median(pixels, axis=1, keepdims=True)), axis=1)
    return 1.4826 * mad


def pad_like_training(stamps: np.ndarray, mode: str = "noise", seed: int = 0, first_index: int = 0):
    """51x51 stamps to 65x65. Training stamps were padded *before* noise was added,
    so with mode 'noise' the border gets Gaussian noise of each stamp's own
    (edge-estimated) sigma, from a stream per stamp index (the same whatever the
    batch size); 'zeros' leaves it empty."""
    from .features import pad_stamps

    padded = pad_stamps(stamps)
    if mode == "zeros":
        return padded
    border = np.ones(padded.shape[1:], dtype=bool)
    pad = (padded.shape[1] - stamps.shape[1]) // 2
    border[pad:-pad, pad:-pad] = False
    sigma = edge_sigma(stamps)
    for row in range(len(stamps)):
        rng = np.random.default_rng([seed, first_index + row])
        padded[row, border] = rng.standard_normal(int(border.sum())) * sigma[row]
    return padded


def read_stamps(path: str | Path, pad: str = "noise") -> np.ndarray:
    """Every stamp (N, 65, 65) float32 of a FITS cube or a workflow HDF5 file, at once."""
    source = StampSource(path)
    return np.concatenate([batch for _, batch in source.batches(max(len(source), 1), pad)])


def head_dirs(model: Path) -> list[Path]:
    """The head directories of --model: itself, or the realisations (real*/) of a noise level."""
    from .training import HEAD_FILE

    if (model / HEAD_FILE).is_file():
        return [model]
    found = sorted(path.parent for path in model.glob(f"*/{HEAD_FILE}"))
    if not found:
        raise InputError(
            f"--model {model}: no {HEAD_FILE} in it or in its subdirectories; give a directory made "
            "by the workflow: one head (results/models/sigma15/real0) or a noise level's "
            "(results/models/sigma15)"
        )
    return found


def read_model_metadata(model_dir: Path) -> dict:
    from .training import HEAD_FILE, METADATA_FILE

    for name in (HEAD_FILE, METADATA_FILE):
        if not (model_dir / name).is_file():
            raise InputError(
                f"--model {model_dir}: no {name}; give a directory made by the workflow, "
                "e.g. results/models/sigma15/real0"
            )
    return json.loads((model_dir / METADATA_FILE).read_text())


SHARED_METADATA = ("preprocessing", "layer", "precision", "engine", "weights", "vgg16_weights_md5")


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


def read_temperature(model_dir: Path) -> float:
    from .training import CALIBRATION_FILE

    path = model_dir / CALIBRATION_FILE
    if not path.is_file():
        raise InputError(
            f"--calibrated: no {CALIBRATION_FILE} in {model_dir}; build it with "
            f"snakemake {model_dir}/{CALIBRATION_FILE} (rule predict), or leave out --calibrated"
        )
    return float(json.loads(path.read_text())["temperature"])


def head_layer(metadata: dict) -> str:
    """The VGG-16 layer the head was trained on (heads made before features.layer: the paper's)."""
    from .features import DEFAULT_LAYER

    return metadata.get("layer", DEFAULT_LAYER)


def load_engine(args: argparse.Namespace, metadata: dict):
    """The model's feature engine and precision (or --engine/--precision), ready to run."""
    from . import engine

    name = args.engine or metadata.get("engine", "tensorflow")
    precision = args.precision or metadata["precision"]
    layer = head_layer(metadata)
    try:
        engine.check_supported(name, precision)
        exported = None
        if name == "onnxruntime" and precision == "float32":
            exported = engine.cached_export(args.vgg16_weights, layer)
        return engine.load(name, args.vgg16_weights, precision, args.threads, exported, layer)
    except engine.EngineError as err:
        raise InputError(str(err).replace("features.engine", "--engine")) from err


def classify(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import features, training
    from .io import atomic_path
    from .resources import ResourceError, check_vgg16_weights, md5sum
    from .scores import apply_temperature

    dirs = head_dirs(Path(args.model))
    metadata = ensemble_metadata(dirs)
    temperatures = [read_temperature(d) for d in dirs] if args.calibrated else [1.0] * len(dirs)
    try:
        check_vgg16_weights(args.vgg16_weights)
    except ResourceError as err:
        raise InputError(str(err).replace("resources.vgg16_weights", "--vgg16-weights")) from err
    if md5sum(args.vgg16_weights) != metadata.get("vgg16_weights_md5"):
        logging.warning(
            "--vgg16-weights differs (md5) from the weights the head was trained on "
            "(features.weights: %s, e.g. resources/vgg16_notop.h5 or vgg16_random.h5); "
            "results are only valid for the same weights",
            metadata.get("weights", "imagenet"),
        )
    source = StampSource(args.stamps)
    threshold = args.threshold if args.threshold is not None else metadata.get("threshold", 0.5)
    infer = load_engine(args, metadata)
    heads = [training.load_head(d) for d in dirs]
    p_heads = np.empty((len(heads), len(source)))
    with tqdm(total=len(source), unit="stamp", disable=args.quiet or len(source) < args.batch_size) as bar:
        for start, batch in source.batches(args.batch_size, args.pad):
            x = features.extract(
                infer, batch, metadata["preprocessing"], args.batch_size, head_layer(metadata)
            )
            for row, (head, temperature) in enumerate(zip(heads, temperatures, strict=True)):
                p = training.predict(head, x)
                if args.calibrated:
                    p = apply_temperature(p, temperature)
                p_heads[row, start : start + len(batch)] = p
            bar.update(len(batch))
    table = training.predictions_frame(np.arange(len(source)), p_heads.mean(axis=0), threshold)
    if len(heads) > 1:
        table.insert(2, "p_blend_std", p_heads.std(axis=0))
    with atomic_path(args.output) as tmp:
        table.to_csv(tmp, index=False)
    counts = table["label"].value_counts().to_dict()
    heads_text = f" (mean of {len(heads)} heads)" if len(heads) > 1 else ""
    print(
        f"{len(table)} stamps{heads_text}: {counts.get('blended', 0)} blended, "
        f"{counts.get('isolated', 0)} isolated -> {args.output}",
        file=sys.stderr,
    )
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="blendhunter", description=__doc__.split("\n")[0])
    main.add_argument("--version", action="version", version=f"blendhunter {__version__}")
    commands = main.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "classify",
        help="classify stamps as blended or isolated",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("stamps", help="FITS cube (N x 51 x 51 or N x 65 x 65) or workflow HDF5 stamp file")
    cmd.add_argument(
        "--model",
        required=True,
        help="a head's directory (results/models/sigma15/real0) or a noise level's, whose heads are averaged",
    )
    cmd.add_argument(
        "--calibrated", action="store_true", help="apply each head's temperature scaling (calibration.json)"
    )
    cmd.add_argument(
        "--vgg16-weights",
        default="resources/vgg16_notop.h5",
        help="VGG-16 notop ImageNet weights (.h5); default: %(default)s",
    )
    cmd.add_argument("--output", required=True, help="CSV to write: index,p_blend,label")
    cmd.add_argument("--threshold", type=float, help="p_blend >= threshold is blended (default: the model's)")
    cmd.add_argument("--engine", choices=ENGINES, help="VGG-16 inference engine (default: the model's)")
    cmd.add_argument("--precision", choices=PRECISIONS, help="default: the model's")
    cmd.add_argument(
        "--pad",
        choices=("noise", "zeros"),
        default="noise",
        help="border of 51x51 stamps: noise like the stamp's (as in training, default) or zeros",
    )
    cmd.add_argument("--batch-size", type=int, default=256)
    cmd.add_argument("--threads", type=int, default=0, help="inference threads (0: all cores)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")
    cmd.set_defaults(func=classify)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if getattr(args, "threshold", None) is not None and not 0 < args.threshold < 1:
        parser().error("--threshold must be between 0 and 1")
    try:
        return args.func(args)
    except InputError as err:
        print(f"blendhunter {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
