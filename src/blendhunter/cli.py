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
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .engine import ENGINES, PRECISIONS
from .errors import BlendHunterError, InputError  # noqa: F401 (InputError: importable from here)
from .features import INPUT_SIZE
from .survey import __doc__ as SURVEY_DOC

STAMP_SIZES = (51, INPUT_SIZE)
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz")
HDF5_SUFFIXES = (".h5", ".hdf5")
EDGE_WIDTH = 5  # px of a 51x51 stamp's frame that estimate its noise for the padding


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
        """The primary HDU, read by sections: a batch at a time, also for gzipped and
        scaled-integer (BSCALE/BZERO) cubes."""
        from astropy.io import fits

        try:
            # sections read from the file by seeks; memmap cannot hold scaled data
            self._hdul = fits.open(self.path, memmap=False)
            hdu = self._hdul[0]
            shape = tuple(hdu.shape)
        except (OSError, ValueError, IndexError) as err:
            raise InputError(f"{self.path}: not a readable FITS file ({err})") from err
        if not shape or 0 in shape:
            raise InputError(f"{self.path}: no stamps (the primary HDU is empty)")
        self.shape = _check_shape(shape, str(self.path))
        single = len(shape) == 2

        def read(start: int, stop: int) -> np.ndarray:
            try:
                data = hdu.section[:, :] if single else hdu.section[start:stop]
            except (OSError, ValueError, EOFError) as err:
                raise InputError(f"{self.path}: stamps {start}..{stop - 1} cannot be read ({err})") from err
            return np.asarray(data).reshape(-1, *self.shape[1:])

        self._read = read

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


def pad_like_training(stamps: np.ndarray, mode: str = "noise", seed: int = 0, first_index: int = 0):
    """51x51 stamps to 65x65. Training stamps were padded *before* noise was added,
    so with mode 'noise' the border gets Gaussian noise of each stamp's own
    (edge-estimated) sigma, from a stream per stamp index (the same whatever the
    batch size); 'zeros' leaves it empty."""
    from .features import border_sigma, pad_stamps

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


def load_head(model_dir: Path):
    """A head, or an InputError that says which file is damaged."""
    from .training import HEAD_FILE, load_head

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


def read_model_metadata(model_dir: Path) -> dict:
    from .training import HEAD_FILE, METADATA_FILE

    for name in (HEAD_FILE, METADATA_FILE):
        if not (model_dir / name).is_file():
            raise InputError(
                f"--model {model_dir}: no {name}; give a directory made by the workflow, "
                "e.g. results/models/sigma15/real0"
            )
    return _read_json(model_dir / METADATA_FILE, "head metadata")


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
    calibration = _read_json(path, "calibration")
    if not isinstance(calibration.get("temperature"), (int, float)):
        raise InputError(f"{path}: no temperature in it; rebuild it with the workflow (rule predict)")
    return float(calibration["temperature"])


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


@dataclass
class Classifier:
    """A model ready to score stamps: its heads, their temperatures, the VGG-16 engine."""

    name: str
    metadata: dict
    heads: list
    temperatures: list[float]
    infer: object
    batch_size: int

    def p_blend(self, stamps: np.ndarray) -> np.ndarray:
        """(heads, n) probabilities of stamps (n, 65, 65)."""
        from . import features, training
        from .scores import apply_temperature

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


def open_model(model: str, calibrated: bool) -> tuple[dict, list, list[float]]:
    """(metadata, head loaders, temperatures) of --model: a shipped model's name, a head's
    directory or a noise level's (its realisations averaged)."""
    from . import shipped

    if model in shipped.names() and not Path(model).exists():
        card = shipped.card(model)
        temperature = card["temperature"] if calibrated else 1.0
        return card["metadata"], [lambda: shipped.load(model)], [temperature]
    dirs = head_dirs(Path(model))
    metadata = ensemble_metadata(dirs)
    temperatures = [read_temperature(d) for d in dirs] if calibrated else [1.0] * len(dirs)
    return metadata, [lambda d=d: load_head(d) for d in dirs], temperatures


def build_classifier(args: argparse.Namespace, model: str) -> Classifier:
    from .inputs import ResourceError, check_vgg16_weights
    from .io import md5sum

    metadata, loaders, temperatures = open_model(model, args.calibrated)
    try:
        check_vgg16_weights(args.vgg16_weights)
    except ResourceError as err:
        raise InputError(
            str(err).replace("resources.vgg16_weights", "--vgg16-weights")
            + "; the VGG-16 weights do not ship with the package: give the notop ImageNet file "
            "(the workflow fetches it as resources/vgg16_notop.h5: snakemake resources/vgg16_notop.h5)"
        ) from err
    check_matches_training(args, metadata, md5sum(args.vgg16_weights))
    infer = load_engine(args, metadata)
    heads = [load() for load in loaders]
    return Classifier(model, metadata, heads, temperatures, infer, args.batch_size)


def default_model() -> str | None:
    from . import shipped

    return shipped.recommended()


def classify(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import training
    from .io import atomic_path

    check_output(Path(args.output), Path(args.stamps), args.overwrite)
    model = args.model or default_model()
    if model is None:
        raise InputError("--model: none given and no shipped model installed; give a head's directory")
    classifier = build_classifier(args, model)
    source = StampSource(args.stamps)
    heads = classifier.heads
    threshold = args.threshold if args.threshold is not None else classifier.metadata.get("threshold", 0.5)
    p_heads = np.empty((len(heads), len(source)))
    with tqdm(total=len(source), unit="stamp", disable=args.quiet or len(source) < args.batch_size) as bar:
        for start, batch in source.batches(args.batch_size, args.pad):
            p_heads[:, start : start + len(batch)] = classifier.p_blend(batch)
            bar.update(len(batch))
    table = training.predictions_frame(np.arange(len(source)), p_heads.mean(axis=0), threshold)
    if len(heads) > 1:
        table.insert(2, "p_blend_std", p_heads.std(axis=0))
    try:
        with atomic_path(args.output) as tmp:
            table.to_csv(tmp, index=False)
    except OSError as err:
        raise InputError(f"--output {args.output}: cannot be written ({err.strerror or err})") from err
    counts = table["label"].value_counts().to_dict()
    heads_text = f" (mean of {len(heads)} heads)" if len(heads) > 1 else ""
    print(
        f"{len(table)} stamps{heads_text}: {counts.get('blended', 0)} blended, "
        f"{counts.get('isolated', 0)} isolated -> {args.output}",
        file=sys.stderr,
    )
    return 0


def image_models(args: argparse.Namespace) -> dict[str, float]:
    """Model name -> training sigma: --model (one or more), else the shipped models of the
    recommended one's features (layer and input), each source taking the nearest."""
    from . import shipped

    if args.model:
        return {m: float(open_model(m, False)[0].get("train_sigma", math.nan)) for m in args.model}
    best = shipped.recommended()
    if best is None:
        raise InputError("--model: none given and no shipped model installed; give a head's directory")
    family = {k: shipped.card(best)["metadata"][k] for k in ("layer", "preprocessing")}
    same = [n for n in shipped.names() if all(shipped.card(n)["metadata"][k] == v for k, v in family.items())]
    return {n: float(shipped.card(n)["metadata"]["train_sigma"]) for n in same}


def classify_image(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from . import survey

    out = Path(args.output)
    check_output(out, Path(args.image), args.overwrite)
    image = survey.read_image(args.image, args.hdu)
    back, sigma = survey.noise_maps(image, args.weight, args.rms)
    if args.catalogue:
        table, x, y = survey.read_catalogue(args.catalogue, image)
    else:
        table = survey.detect(image, back, sigma, args.detect_threshold, args.minarea)
        x, y = table["x"].to_numpy(), table["y"].to_numpy()
        if not len(table):
            raise InputError(f"{args.image}: SEP found no source above {args.detect_threshold:g} sigma")
    local = sigma[np.rint(y).astype(int), np.rint(x).astype(int)]
    local = np.where(np.isfinite(local), local, np.nanmedian(sigma))
    levels = image_models(args)
    chosen = survey.nearest_model(local, levels)
    p_blend = np.full(len(x), np.nan)
    edge, masked = np.zeros(len(x), bool), np.zeros(len(x), bool)
    threshold = args.threshold
    with tqdm(total=len(x), unit="source", disable=args.quiet) as bar:
        for name in levels:
            rows = np.flatnonzero(chosen == name)
            if not len(rows):
                continue
            classifier = build_classifier(args, name)
            if threshold is None:
                threshold = classifier.metadata.get("threshold", 0.5)
            for start in range(0, len(rows), args.batch_size):
                part = rows[start : start + args.batch_size]
                stamps, _, edge[part], masked[part] = survey.cutouts(image, back, sigma, x[part], y[part])
                padded = pad_like_training(stamps, "noise", first_index=int(part[0]))
                p_blend[part] = classifier.p_blend(padded).mean(axis=0)
                bar.update(len(part))
    table = table.assign(
        p_blend=p_blend,
        blended=p_blend >= threshold,
        sigma_local=local,
        edge=edge,
        masked=masked,
        model=chosen,
    )
    try:
        survey.write_table(table, out)
    except OSError as err:
        raise InputError(f"--output {out}: cannot be written ({err.strerror or err})") from err
    if args.plot:
        survey.plot(image, back, x, y, p_blend, Path(args.plot), threshold)
    print(
        f"{len(table)} sources: {int(table['blended'].sum())} blended (p_blend >= {threshold:g}), "
        f"{int(edge.sum())} at an edge, {int(masked.sum())} touching masked pixels -> {out}",
        file=sys.stderr,
    )
    return 0


def add_model_arguments(cmd: argparse.ArgumentParser) -> None:
    """The options classify and classify-image share: weights, engine, batches."""
    cmd.add_argument(
        "--calibrated", action="store_true", help="apply each head's temperature scaling (calibration.json)"
    )
    cmd.add_argument(
        "--vgg16-weights",
        default="resources/vgg16_notop.h5",
        help="VGG-16 notop ImageNet weights (.h5); default: %(default)s",
    )
    cmd.add_argument("--overwrite", action="store_true", help="replace --output if it exists")
    cmd.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="run even if the VGG-16 weights, engine or precision differ from the head's training",
    )
    cmd.add_argument("--threshold", type=float, help="p_blend >= threshold is blended (default: the model's)")
    cmd.add_argument("--engine", choices=ENGINES, help="VGG-16 inference engine (default: the model's)")
    cmd.add_argument("--precision", choices=PRECISIONS, help="default: the model's")
    cmd.add_argument("--batch-size", type=positive_int, default=256, help="stamps per batch (>= 1)")
    cmd.add_argument("--threads", type=int, default=0, help="inference threads (0: all cores)")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")


def list_models(args: argparse.Namespace) -> int:
    from . import shipped

    names = shipped.names()
    if not names:
        print("no shipped models installed", file=sys.stderr)
        return 1
    print("\n\n".join(shipped.describe(name) for name in names))
    return 0


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def check_output(output: Path, stamps: Path, overwrite: bool) -> None:
    """Never write over the input; over another existing file only when asked to."""
    if output.resolve() == stamps.resolve():
        raise InputError(f"--output {output} is the input file; give another path")
    if output.exists() and not overwrite:
        raise InputError(f"--output {output} exists; give another path or --overwrite")


def check_matches_training(args: argparse.Namespace, metadata: dict, weights_md5: str) -> None:
    """Features must be made as the head's were: the same weights (or a file of the same
    values, for shipped models), engine and precision."""
    trained_md5 = metadata.get("vgg16_weights_md5")
    if weights_md5 in metadata.get("vgg16_weights_md5_equivalent", ()):
        weights_md5 = trained_md5
    wanted = {
        "--vgg16-weights (md5)": (weights_md5, trained_md5),
        "--engine": (args.engine, metadata.get("engine", "tensorflow")),
        "--precision": (args.precision, metadata.get("precision")),
    }
    differ = [
        f"{flag} {given} (the head's: {trained})"
        for flag, (given, trained) in wanted.items()
        if given is not None and given != trained
    ]
    if not differ:
        return
    text = "; ".join(differ)
    if not args.allow_mismatch:
        raise InputError(
            f"the head was trained on other features: {text}; use the head's settings, "
            "or --allow-mismatch to run anyway (results are then only approximate)"
        )
    logging.warning("running on features unlike the head's training (--allow-mismatch): %s", text)


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
        help="a shipped model's name (blendhunter models; default: the recommended one), a head's "
        "directory (results/models/sigma15/real0) or a noise level's, whose heads are averaged",
    )
    cmd.add_argument("--output", required=True, help="CSV to write: index,p_blend,label")
    cmd.add_argument(
        "--pad",
        choices=("noise", "zeros"),
        default="noise",
        help="border of 51x51 stamps: noise like the stamp's (as in training, default) or zeros",
    )
    add_model_arguments(cmd)
    cmd.set_defaults(func=classify)
    img = commands.add_parser(
        "classify-image",
        help="flag blends among the sources of a survey image",
        description=SURVEY_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    img.add_argument("image", help="FITS image")
    img.add_argument("--output", required=True, help="catalogue to write, .csv or .fits")
    img.add_argument("--catalogue", help="sources: CSV or FITS table with x, y (0-based pixels) or ra, dec")
    img.add_argument("--hdu", type=int, default=0, help="the image's HDU (default: the first with data)")
    noise = img.add_mutually_exclusive_group()
    noise.add_argument("--weight", help="inverse-variance map of the image (instead of SEP's RMS)")
    noise.add_argument("--rms", help="noise RMS map of the image (instead of SEP's)")
    img.add_argument(
        "--detect-threshold",
        type=float,
        default=3.0,
        help="SEP detection, x local RMS (default: %(default)s)",
    )
    img.add_argument("--minarea", type=positive_int, default=5, help="SEP detection: minimum pixels")
    img.add_argument(
        "--model", action="append", help="a shipped name or head directory (repeat: each source takes "
        "the nearest training noise); default: the shipped models of the recommended one's features",
    )  # fmt: skip
    img.add_argument("--plot", help="also draw the image with every source circled by p_blend (.png)")
    add_model_arguments(img)
    img.set_defaults(func=classify_image)
    models = commands.add_parser("models", help="the models that ship with the package, with their cards")
    models.set_defaults(func=list_models)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if getattr(args, "threshold", None) is not None and not 0 < args.threshold < 1:
        parser().error("--threshold must be between 0 and 1")
    try:
        return args.func(args)
    except BlendHunterError as err:  # InputError, SurveyError, and a file or engine problem
        print(f"blendhunter {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
