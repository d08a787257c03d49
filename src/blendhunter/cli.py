"""blendhunter: find blended galaxies in your own stamps or survey images.

    blendhunter classify stamps.fits --output flags.csv             # a cube of stamps
    blendhunter classify-image image.fits --output flags.fits       # a survey image
    blendhunter models                                              # the shipped models
    blendhunter surveys                                             # the survey presets
    blendhunter configure image.fits --output layer.yaml            # a layer for your image
    blendhunter test-image image.fits truth.csv                     # a simulated test image

This module only parses arguments and prints: the work is done by the library
(`blendhunter.classify`, `blendhunter.survey`). A problem the user can fix exits
with status 2 and one line that names it and the fix; Ctrl-C exits with 130; no
output is left behind by either.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from blendhunter import __version__
from blendhunter.classify import TABLE_SUFFIXES
from blendhunter.errors import BlendHunterError, InputError
from blendhunter.network.engine import ENGINES, PRECISIONS
from blendhunter.survey import __doc__ as SURVEY_DOC
from blendhunter.workflow.presets import FOLDER as PRESETS

CONFIGURE_DOC = """`blendhunter configure`: a config layer measured from your own image, then the
command that trains heads for it (docs/surveys.md).

    blendhunter configure image.fits --output config/my-image.yaml

Pixel scale from the WCS; background and noise from SEP; the PSF from the image's stars
(a Moffat fit; a figure beside the layer); fluxes from the zeropoint (--zeropoint, else --survey's
preset, else the header's MAGZP)."""

CLASSIFY_DOC = """`blendhunter classify`: a trained model on your own stamps.

    blendhunter classify --model results/models/sigma15/real0 \\
        --vgg16-weights resources/vgg16_notop.h5 --output out.csv stamps.fits

Input: a FITS file whose primary HDU is a cube N x 51 x 51 or N x 65 x 65, or one of
the workflow's HDF5 stamp files. Stamps must be like the training stamps:
background-subtracted, in counts, noise near the head's training sigma, centred on
the source (docs/usage.md, "What a stamp must be"). 51x51 stamps get a 7-pixel
border of noise like their own (as in training; --pad zeros leaves it empty).
Output (.csv or .fits, by the extension): index, p_blend, label (blended, isolated,
or out_of_domain where the domain check flagged the stamp), background,
sigma_border, flags (docs/CONTRACTS.md). --model may also be a noise level's
directory (results/models/sigma15): the heads of all its realisations are averaged
and p_blend_std is written beside p_blend. --calibrated applies each head's
temperature (calibration.json, fitted on its validation split by the workflow's
rule predict) before averaging. --strict exits with status 2 if any stamp is flagged.
"""

PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg")
MAX_BATCH = 65536  # stamps per batch: beyond this only memory grows


def check_output(path: Path, flag: str, inputs: list, overwrite: bool, suffixes: tuple) -> None:
    """Before any work: the format by its extension, never over an input, over another
    existing file only when asked to, and a folder that can hold it."""
    if not path.name.lower().endswith(suffixes):
        raise InputError(
            f"{flag} {path}: write one of {', '.join(suffixes)} (the extension names the format)"
        )
    for given in inputs:
        if given is not None and path.resolve() == Path(given).resolve():
            raise InputError(f"{flag} {path} is an input file; give another path")
    if path.is_dir():
        raise InputError(f"{flag} {path} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise InputError(f"{flag} {path} exists; give another path or --overwrite")
    folder = path.absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise InputError(f"{flag} {path}: cannot be written ({folder} is not a writable folder)")


def _progress(quiet: bool, total: int, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, disable=quiet)


def model_options(args: argparse.Namespace) -> dict:
    """The options classify and classify-image pass to Classifier.from_model."""
    return {
        "vgg16_weights": args.vgg16_weights,
        "calibrated": args.calibrated,
        "engine": args.engine,
        "precision": args.precision,
        "threads": args.threads,
        "allow_mismatch": args.allow_mismatch,
        "batch_size": args.batch_size,
    }


def report(text: str, flag_summary: str, strict: bool) -> int:
    print(text, file=sys.stderr)
    if flag_summary:
        print(f"warning: {flag_summary}; see docs/usage.md, 'What a stamp must be'", file=sys.stderr)
        if strict:
            print("error: --strict: flagged rows (written, labelled out_of_domain)", file=sys.stderr)
            return 2
    return 0


def classify(args: argparse.Namespace) -> int:
    from blendhunter import domain, shipped
    from blendhunter.classify import Classifier, StampSource, classify_file, write_table

    out = Path(args.output)
    check_output(out, "--output", [args.stamps], args.overwrite, TABLE_SUFFIXES)
    source = StampSource(args.stamps)  # a bad file fails before the model loads
    model = args.model or shipped.recommended()
    if model is None:
        raise InputError("--model: none given and no shipped model installed; give a head's directory")
    classifier = Classifier.from_model(model, **model_options(args))
    with _progress(args.quiet or len(source) < args.batch_size, len(source), "stamp") as bar:
        table = classify_file(classifier, source, args.threshold, args.pad, bar.update, args.recentre)
    write_table(table, out)
    counts = table["label"].value_counts().to_dict()
    heads = len(classifier.heads)
    text = (
        f"{len(table)} stamps{f' (mean of {heads} heads)' if heads > 1 else ''}: "
        f"{counts.get('blended', 0)} blended, {counts.get('isolated', 0)} isolated, "
        f"{counts.get('out_of_domain', 0)} out of domain -> {out}"
    )
    return report(text, domain.summary(table["flags"]), args.strict)


def classify_image(args: argparse.Namespace) -> int:
    from blendhunter import domain, survey
    from blendhunter.classify import write_table

    out = Path(args.output)
    inputs = [args.image, args.catalogue, args.weight, args.rms]
    check_output(out, "--output", inputs, args.overwrite, TABLE_SUFFIXES)
    if args.plot:
        check_output(Path(args.plot), "--plot", [*inputs, out], args.overwrite, PLOT_SUFFIXES)
    with _progress(args.quiet, None, "source") as bar:
        found = survey.flag_sources(
            args.image,
            args.model,
            args.catalogue,
            args.hdu,
            args.weight,
            args.rms,
            args.detect_threshold,
            args.minarea,
            args.threshold,
            bar.update,
            not args.no_recentre,
            **model_options(args),
        )
    write_table(found.table, out)
    if args.plot:
        survey.plot(
            found.image,
            found.back,
            found.x,
            found.y,
            found.table["p_blend"],
            Path(args.plot),
            found.threshold,
        )
    table = found.table
    text = (
        f"{len(table)} sources: {int(table['blended'].sum())} blended (p_blend >= {found.threshold:g}), "
        f"{int(table['edge'].sum())} at an edge, {int(table['masked'].sum())} touching masked pixels -> {out}"
    )
    return report(text, domain.summary(table["flags"]), args.strict)


def list_models(args: argparse.Namespace) -> int:
    from blendhunter import shipped

    names = shipped.names()
    if not names:
        print("no shipped models installed", file=sys.stderr)
        return 1
    described = []
    for name in names:
        try:
            described.append(shipped.describe(name))
        except (OSError, ValueError, KeyError, TypeError) as err:
            described.append(f"{name}: damaged card ({err}); reinstall blendhunter")
    print("\n\n".join(described))
    return 0


def list_surveys(args: argparse.Namespace) -> int:
    from blendhunter.workflow import presets

    rows = presets.listing(args.folder)
    header = ("preset", "survey band", 'pixel (")', 'PSF FWHM (")', "sigma full", "sigma 1 exp", "flux scale")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(value).ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
    print(
        "\nsigma: sky noise in electrons, one exposure's in the full-depth image's units; flux "
        "scale: counts per COSMOS F814W count/s (docs/surveys.md). Train heads for one:\n  "
        + presets.command(rows[0][0])
    )
    return 0


def test_image(args: argparse.Namespace) -> int:
    import yaml

    from blendhunter import survey
    from blendhunter.workflow import config as bh_config

    configfiles = list(args.configfile)
    if args.survey:
        from blendhunter import scene

        scene.check_request(args.survey, args.side, args.density, args.stars)
        configfiles.append(Path(PRESETS) / f"{args.survey}.yaml")
    missing = [str(path) for path in configfiles if not path.is_file()]
    if missing:
        raise InputError(
            f"no config file {', '.join(missing)}: run from the repository's root, or give --configfile"
        )
    check_output(args.image, "IMAGE", configfiles, args.overwrite, (".fits", ".fit"))
    check_output(args.truth, "TRUTH", [*configfiles, args.image], args.overwrite, (".csv",))
    try:
        cfg = bh_config.load(*configfiles)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise InputError(f"--configfile: not a YAML config ({one_line(err)[:200]})") from err
    bh_config.validate(cfg)
    for path in (args.image, args.truth):
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
    if not args.survey:
        truth = survey.simulate_image(cfg, args.image, args.truth)
        blended = int(truth["label"].sum())
        print(f"{args.image}: {len(truth)} galaxies, {blended} of them blended; truth in {args.truth}")
        return 0
    from blendhunter import scene

    spec = scene.Scene(side=args.side, galaxy_density=args.density, star_density=args.stars, psf=args.psf)
    scene.psf_profile(spec.psf, 1.0)  # a wrong --psf stops before any drawing
    truth = scene.simulate(cfg, spec, args.image, args.truth)
    galaxies = truth[truth["kind"] == "galaxy"]
    print(
        f"{args.image}: {len(galaxies)} galaxies ({int(galaxies['label'].sum())} with a neighbour inside "
        f"their cutout), {len(truth) - len(galaxies)} stars, PSF {args.psf}; truth in {args.truth}"
    )
    return 0


def configure(args: argparse.Namespace) -> int:
    from blendhunter import configure as bh_configure

    check_output(args.output, "--output", [args.image], args.overwrite, (".yaml", ".yml"))
    plot = args.plot or args.output.with_suffix(".png")
    check_output(plot, "--plot", [args.image, args.output], args.overwrite, (".png", ".pdf", ".svg"))
    measured = bh_configure.configure(
        args.image, args.output, args.hdu, args.pixel_scale, args.zeropoint, args.exposure, args.survey, plot
    )
    print(bh_configure.report(measured, args.image, args.output))
    print(f"stars and the PSF fit: {plot}")
    return 0


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def batch_size(text: str) -> int:
    value = positive_int(text)
    if value > MAX_BATCH:
        raise argparse.ArgumentTypeError(f"at most {MAX_BATCH} (memory grows with it, speed does not)")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def threads(text: str) -> int:
    from blendhunter.classify import usable_cores

    value, cores = int(text), usable_cores()
    if not 0 <= value <= cores:
        raise argparse.ArgumentTypeError(
            f"give 0 (every core) or 1 to {cores}, the cores this process may use"
        )
    return value


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
    cmd.add_argument("--overwrite", action="store_true", help="replace --output (and --plot) if it exists")
    cmd.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="run even if the VGG-16 weights, engine or precision differ from the head's training",
    )
    cmd.add_argument("--threshold", type=float, help="p_blend >= threshold is blended (default: the model's)")
    cmd.add_argument("--engine", choices=ENGINES, help="VGG-16 inference engine (default: the model's)")
    cmd.add_argument("--precision", choices=PRECISIONS, help="default: the model's")
    cmd.add_argument("--batch-size", type=batch_size, default=256, help="stamps per batch (1 to 65536)")
    cmd.add_argument("--threads", type=threads, default=0, help="inference threads (0: all cores)")
    cmd.add_argument("--strict", action="store_true", help="exit with status 2 if any row is flagged")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="blendhunter", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    main.add_argument("--version", action="version", version=f"blendhunter {__version__}")
    commands = main.add_subparsers(dest="command", required=True)
    cmd = commands.add_parser(
        "classify",
        help="classify stamps as blended or isolated",
        description=CLASSIFY_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmd.add_argument("stamps", help="FITS cube (N x 51 x 51 or N x 65 x 65) or workflow HDF5 stamp file")
    cmd.add_argument(
        "--model",
        help="a shipped model's name (blendhunter models; default: the recommended one), a head's "
        "directory (results/models/sigma15/real0) or a noise level's, whose heads are averaged",
    )
    cmd.add_argument("--output", required=True, help="table to write, .csv or .fits")
    cmd.add_argument(
        "--pad",
        choices=("noise", "zeros"),
        default="noise",
        help="border of 51x51 stamps: noise like the stamp's (as in training, default) or zeros",
    )
    cmd.add_argument(
        "--recentre",
        action="store_true",
        help="move each stamp to put its source's light on the centre pixel first (shift_x, shift_y)",
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
        type=positive_float,
        default=3.0,
        help="SEP detection, x local RMS (> 0; default: %(default)s)",
    )
    img.add_argument("--minarea", type=positive_int, default=5, help="SEP detection: minimum pixels")
    img.add_argument(
        "--model", action="append", help="a shipped name or head directory (repeat: each source takes "
        "the nearest training noise); default: the shipped models of the recommended one's features",
    )  # fmt: skip
    img.add_argument(
        "--plot",
        help="also draw the image with every source circled by p_blend (.png, .pdf, .svg)",
    )
    img.add_argument(
        "--no-recentre",
        action="store_true",
        help="cut at the given positions as they are (default: re-centred on each source's light)",
    )
    add_model_arguments(img)
    img.set_defaults(func=classify_image)
    models = commands.add_parser("models", help="the models that ship with the package, with their cards")
    models.set_defaults(func=list_models)
    surveys = commands.add_parser("surveys", help=f"the survey presets ({PRESETS}), from surveycodex")
    surveys.add_argument(
        "--folder", type=Path, default=Path(PRESETS), help="presets' folder (default: %(default)s)"
    )
    surveys.set_defaults(func=list_surveys)
    test = commands.add_parser(
        "test-image",
        help="simulate a survey-like test image with its truth catalogue (the workflow's galaxies and PSF)",
    )
    test.add_argument("image", type=Path, help="the FITS image to write")
    test.add_argument("truth", type=Path, help="the truth catalogue (CSV) to write")
    test.add_argument(
        "--configfile",
        type=Path,
        nargs="+",
        default=[Path("config/config.yaml"), Path("config/offline.yaml")],
        help="the workflow's config files (default: config/config.yaml config/offline.yaml)",
    )
    test.add_argument("--overwrite", action="store_true", help="replace IMAGE and TRUTH if they exist")
    test.add_argument(
        "--survey", help="a survey-like image for this preset (blendhunter surveys): random positions, "
        "stars, a PSF of its own (default: the project's stamps on a grid)",
    )  # fmt: skip
    test.add_argument("--psf", default="moffat:2.5", help="with --survey: moffat:BETA or kolmogorov, at "
                      "the preset's FWHM (default: %(default)s)")  # fmt: skip
    test.add_argument("--side", type=positive_int, default=1500, help="with --survey: pixels on a side")
    test.add_argument("--density", type=positive_float, default=30.0, help="with --survey: galaxies/arcmin^2")
    test.add_argument("--stars", type=float, default=3.0, help="with --survey: stars/arcmin^2")
    test.set_defaults(func=test_image)
    conf = commands.add_parser(
        "configure",
        help="measure a config layer from your image (pixel scale, noise, PSF from its stars, zeropoint)",
        description=CONFIGURE_DOC,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    conf.add_argument("image", type=Path, help="FITS image (sky not yet subtracted is fine)")
    conf.add_argument("--output", type=Path, required=True, help="the config layer to write (.yaml)")
    conf.add_argument("--hdu", type=int, default=0, help="the image's HDU (default: the first with data)")
    conf.add_argument("--pixel-scale", type=positive_float, help="arcsec/pixel (default: from the WCS)")
    conf.add_argument("--zeropoint", type=float, help="AB mag of one count of the image (default: MAGZP...)")
    conf.add_argument("--exposure", type=positive_float, help="s, when --zeropoint is per second")
    conf.add_argument("--survey", help="take the zeropoint from this preset (blendhunter surveys)")
    conf.add_argument("--plot", type=Path, help="the stars and PSF fit figure (default: OUTPUT with .png)")
    conf.add_argument("--overwrite", action="store_true", help="replace --output and --plot if they exist")
    conf.set_defaults(func=configure)
    return main


def one_line(err: BaseException) -> str:
    """A message from a library (pandas, astropy) may hold line breaks: one line."""
    return " ".join(str(err).split())


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(message)s")
    if getattr(args, "threshold", None) is not None and not 0 < args.threshold < 1:
        parser().error("--threshold must be between 0 and 1")
    try:
        return args.func(args)
    except BlendHunterError as err:  # InputError, SurveyError, and a file or engine problem
        print(f"blendhunter {args.command}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"blendhunter {args.command}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"blendhunter {args.command}: error: out of memory; lower --batch-size", file=sys.stderr)
        return 2
    except Exception as err:  # a bug: one line, the traceback only when asked for
        if os.environ.get("BLENDHUNTER_DEBUG"):
            raise
        print(
            f"blendhunter {args.command}: internal error ({type(err).__name__}: {one_line(err)}); "
            "please report it (BLENDHUNTER_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":
    sys.exit(main())
