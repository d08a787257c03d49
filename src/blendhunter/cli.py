"""`blendhunter classify`: a trained model on your own stamps.

    blendhunter classify --model results/models/sigma15/real0 \\
        --vgg16-weights resources/vgg16_notop.h5 --output out.csv stamps.fits

Input: a FITS file whose primary HDU is a cube N x 51 x 51 (zero-padded to
65 x 65 as in training) or N x 65 x 65, or one of the workflow's HDF5 stamp
files. Output: CSV with columns index,p_blend,label (label blended/isolated).
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
from .features import INPUT_SIZE

STAMP_SIZES = (51, INPUT_SIZE)
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
HDF5_SUFFIXES = (".h5", ".hdf5")


class InputError(ValueError):
    """The user's input cannot be classified; the message says why and what to do."""


def _check_cube(cube: np.ndarray, source: str) -> np.ndarray:
    if cube is None or cube.size == 0:
        raise InputError(f"{source}: no stamps (the primary HDU is empty)")
    if cube.ndim == 2:
        cube = cube[None]
    if cube.ndim != 3 or cube.shape[1] != cube.shape[2] or cube.shape[1] not in STAMP_SIZES:
        raise InputError(
            f"{source}: stamps must be a cube N x 51 x 51 or N x 65 x 65, got shape {cube.shape}"
        )
    bad = ~np.isfinite(cube)
    if bad.any():
        stamps = np.flatnonzero(bad.any(axis=(1, 2)))
        raise InputError(
            f"{source}: {len(stamps)} stamp(s) contain NaN or infinite pixels "
            f"(first: index {stamps[0]}); replace or drop them"
        )
    return cube.astype(np.float32)


def read_fits(path: Path) -> np.ndarray:
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdul:
            data = hdul[0].data
    except OSError as err:
        raise InputError(f"{path}: not a readable FITS file ({err})") from err
    return _check_cube(None if data is None else np.asarray(data), str(path))


def read_hdf5(path: Path) -> np.ndarray:
    from .stamps import StampSet

    try:
        stamp_set = StampSet(path)
    except (OSError, KeyError, ValueError, FileNotFoundError) as err:
        raise InputError(f"{path}: not a BlendHunter stamp file ({err})") from err
    if len(stamp_set) == 0:
        raise InputError(f"{path}: no stamps")
    return _check_cube(stamp_set.images(np.arange(len(stamp_set))), str(path))


def edge_sigma(stamps: np.ndarray, width: int = 5) -> np.ndarray:
    """Per-stamp noise sigma from the outer frame of pixels (1.4826 x MAD)."""
    frame = np.ones(stamps.shape[1:], dtype=bool)
    frame[width:-width, width:-width] = False
    pixels = stamps[:, frame]
    mad = np.median(np.abs(pixels - np.median(pixels, axis=1, keepdims=True)), axis=1)
    return 1.4826 * mad


def pad_like_training(stamps: np.ndarray, mode: str = "noise", seed: int = 0) -> np.ndarray:
    """51x51 stamps to 65x65. Training stamps were padded *before* noise was added,
    so with mode 'noise' the border gets Gaussian noise of each stamp's own
    (edge-estimated) sigma, drawn from a fixed seed; 'zeros' leaves it empty."""
    from .features import pad_stamps

    padded = pad_stamps(stamps)
    if mode == "zeros":
        return padded
    border = np.ones(padded.shape[1:], dtype=bool)
    pad = (padded.shape[1] - stamps.shape[1]) // 2
    border[pad:-pad, pad:-pad] = False
    rng = np.random.default_rng(seed)
    sigma = edge_sigma(stamps)
    padded[:, border] = rng.standard_normal((len(stamps), int(border.sum()))) * sigma[:, None]
    return padded


def read_stamps(path: str | Path, pad: str = "noise") -> np.ndarray:
    """Stamps (N, 65, 65) float32 from a FITS cube or a workflow HDF5 file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    name = path.name.lower()
    if name.endswith(FITS_SUFFIXES):
        cube = read_fits(path)
    elif name.endswith(HDF5_SUFFIXES):
        cube = read_hdf5(path)
    else:
        raise InputError(f"{path}: unknown format; give a .fits cube or a workflow .h5 stamp file")
    return cube if cube.shape[1] == INPUT_SIZE else pad_like_training(cube, pad)


def read_model_metadata(model_dir: Path) -> dict:
    from .training import HEAD_FILE, METADATA_FILE

    for name in (HEAD_FILE, METADATA_FILE):
        if not (model_dir / name).is_file():
            raise InputError(
                f"--model {model_dir}: no {name}; give a directory made by the workflow, "
                "e.g. results/models/sigma15/real0"
            )
    return json.loads((model_dir / METADATA_FILE).read_text())


def classify(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import features, training
    from .io import atomic_path
    from .resources import ResourceError, check_vgg16_weights, md5sum

    model_dir = Path(args.model)
    metadata = read_model_metadata(model_dir)
    try:
        check_vgg16_weights(args.vgg16_weights)
    except ResourceError as err:
        raise InputError(str(err).replace("resources.vgg16_weights", "--vgg16-weights")) from err
    if md5sum(args.vgg16_weights) != metadata.get("vgg16_weights_md5"):
        logging.warning(
            "--vgg16-weights differs (md5) from the weights the head was trained on; "
            "results are only valid for the same ImageNet VGG-16 weights"
        )
    stamps = read_stamps(args.stamps, args.pad)
    threshold = args.threshold if args.threshold is not None else metadata.get("threshold", 0.5)
    precision = args.precision or metadata["precision"]

    features.configure_threads(args.threads)
    base = features.conv_base(args.vgg16_weights, precision)
    head = training.load_head(model_dir)
    p_blend = np.empty(len(stamps))
    with tqdm(total=len(stamps), unit="stamp", disable=args.quiet or len(stamps) < args.batch_size) as bar:
        for start in range(0, len(stamps), args.batch_size):
            batch = stamps[start : start + args.batch_size]
            x = features.extract(base, batch, metadata["preprocessing"], args.batch_size)
            p_blend[start : start + len(batch)] = training.predict(head, x)
            bar.update(len(batch))
    table = training.predictions_frame(np.arange(len(stamps)), p_blend, threshold)
    with atomic_path(args.output) as tmp:
        table.to_csv(tmp, index=False)
    counts = table["label"].value_counts().to_dict()
    print(
        f"{len(table)} stamps: {counts.get('blended', 0)} blended, {counts.get('isolated', 0)} isolated "
        f"-> {args.output}",
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
    cmd.add_argument("--model", required=True, help="model directory, e.g. results/models/sigma15/real0")
    cmd.add_argument(
        "--vgg16-weights",
        default="resources/vgg16_notop.h5",
        help="VGG-16 notop ImageNet weights (.h5); default: %(default)s",
    )
    cmd.add_argument("--output", required=True, help="CSV to write: index,p_blend,label")
    cmd.add_argument("--threshold", type=float, help="p_blend >= threshold is blended (default: the model's)")
    cmd.add_argument("--precision", choices=("float32", "bfloat16"), help="default: the model's")
    cmd.add_argument(
        "--pad",
        choices=("noise", "zeros"),
        default="noise",
        help="border of 51x51 stamps: noise like the stamp's (as in training, default) or zeros",
    )
    cmd.add_argument("--batch-size", type=int, default=256)
    cmd.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: all cores)")
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
