"""Facts the Snakefile needs: output paths, wildcard values, per-rule resources.

Kept out of the Snakefile so it can be imported and tested, and so every path
is defined once: the constants below for a campaign in results/, and `Run`, through
which the rules read them, for a run prefix (`run.prefix`: a variant's outputs under
results/<prefix>/ beside the campaign whose stamps it reuses). Logs and benchmarks
come from `Run.log` and `Run.benchmark`; no path is typed in a rule.
"""

from __future__ import annotations

import math
import re

from blendhunter.errors import ConfigError
from blendhunter.network import engine, features, training
from blendhunter.simulation.splits import chunk_bounds
from blendhunter.workflow.config import SIGMA_WILDCARD, sigma_label

# Output layout (one place). {sigma} is formatted by sigma_label.
RESULTS = "results"
PARAMETRIC_CHUNK = "results/stamps/parametric/chunks/chunk{chunk}.h5"
PARAMETRIC_MASTER = "results/stamps/parametric/noiseless.h5"
PARAMETRIC_SET = "results/stamps/parametric/sigma{sigma}/real{realisation}.h5"
REALISTIC_CHUNK = "results/stamps/realistic/chunks/chunk{chunk}.h5"
REALISTIC_MASTER = "results/stamps/realistic/noiseless.h5"
REALISTIC_SET = "results/stamps/realistic/stamps.h5"
PARAMETRIC_FEATURES = "results/features/parametric/sigma{sigma}/real{realisation}.h5"
REALISTIC_FEATURES = "results/features/realistic.h5"
MODEL_DIR = "results/models/sigma{sigma}/real{realisation}"
PREDICTIONS_TEST = "results/predictions/parametric/sigma{sigma}/real{realisation}.csv"
PREDICTIONS_REALISTIC = "results/predictions/realistic/sigma{sigma}/real{realisation}.csv"
PREDICTIONS_VALIDATION = "results/predictions/validation/sigma{sigma}/real{realisation}.csv"
CALIBRATION = f"{MODEL_DIR}/{training.CALIBRATION_FILE}"  # temperature and F1 thresholds
SEP_TEST = "results/sep/parametric/sigma{sigma}/real{realisation}.csv"
SEP_REALISTIC = "results/sep/realistic.csv"
SEP_VALIDATION = "results/sep/validation/sigma{sigma}/real{realisation}.csv"  # for combinations
METRICS = "results/metrics/sigma{sigma}/real{realisation}.csv"
SUMMARY = "results/summary/sigma{sigma}.csv"
LEARNING_CURVE_POINT = "results/learning_curve/sigma{sigma}/real{realisation}/n{n}.csv"
# Shifted test sets: the realistic set's first stamps drawn again with one thing changed,
# {shift} = r<radius> (the central galaxy <radius> px off centre, the centring axis) or
# psf-<variant> (another PSF, the PSF-shift axis).
SHIFTED_CHUNK = "results/stamps/shifted/{shift}/chunks/chunk{chunk}.h5"
SHIFTED_MASTER = "results/stamps/shifted/{shift}/noiseless.h5"
SHIFTED_SET = "results/stamps/shifted/{shift}/stamps.h5"
SHIFTED_FEATURES = "results/features/shifted/{shift}.h5"
PREDICTIONS_SHIFTED = "results/predictions/shifted/{shift}/sigma{sigma}/real{realisation}.csv"
SEP_SHIFTED = "results/sep/shifted/{shift}.csv"
MODEL_FILES = {
    "head": training.HEAD_FILE,
    "metadata": training.METADATA_FILE,
    "history": training.HISTORY_FILE,
    "history_plot": training.HISTORY_PLOT,
}
TABLES = {
    "parametric": "results/tables/parametric_accuracy.csv",
    "realistic": "results/tables/realistic_accuracy.csv",
    "separation": "results/tables/accuracy_vs_separation.csv",
    "per_sigma": "results/tables/per_sigma_summary.csv",
    "learning_curve": "results/tables/learning_curve.csv",
    "companion": "results/tables/accuracy_vs_companion.csv",
    "roc_auc": "results/tables/roc_auc.csv",
    "calibration": "results/tables/calibration.csv",
    "purity": "results/tables/purity.csv",
    "pretraining": "results/tables/pretraining.csv",
    "sep_comparison": "results/tables/sep_comparison.csv",
    "sep_comparison_summary": "results/tables/sep_comparison_summary.csv",
    "combination": "results/tables/combination.csv",
    "combination_summary": "results/tables/combination_summary.csv",
    "centring": "results/tables/centring.csv",
    "psf_shift": "results/tables/psf_shift.csv",
}
FIGURES = {
    "separation": "results/figures/accuracy_vs_separation",
    "noise": "results/figures/accuracy_vs_noise",
    "relative": "results/figures/relative_accuracy_realistic",
    "confusion": "results/figures/confusion_realistic",
    "gallery": "results/figures/gallery",
    "learning_curve": "results/figures/learning_curve",
    "companion": "results/figures/accuracy_vs_companion",
    "roc": "results/figures/roc_realistic",
    "reliability": "results/figures/reliability_realistic",
    "purity": "results/figures/purity_realistic",
    "pretraining": "results/figures/pretraining",
    "centring": "results/figures/centring",
    "psf_shift": "results/figures/psf_shift",
}
FIGURE_FORMATS = ("png", "pdf")
BENCHMARKS = "results/benchmarks.csv"
VGG16_WEIGHTS = "resources/vgg16_notop.h5"  # ImageNet
VGG16_RANDOM = "resources/vgg16_random.h5"  # the same architecture, seeded random weights
# features.weights -> the weights file of the conv base; {network} is its stem
NETWORK_WEIGHTS = {"imagenet": VGG16_WEIGHTS, "random": VGG16_RANDOM}
NETWORK = "resources/{network}"
# The pre-training ablation: the nearest noise level again, on features of VGG16_RANDOM.
RANDOM_DIR = "results/pretraining/random"
RANDOM_FEATURES = f"{RANDOM_DIR}/features/parametric/sigma{{sigma}}/real{{realisation}}.h5"
RANDOM_REALISTIC_FEATURES = f"{RANDOM_DIR}/features/realistic.h5"
RANDOM_MODEL_DIR = f"{RANDOM_DIR}/models/sigma{{sigma}}/real{{realisation}}"
RANDOM_PREDICTIONS_TEST = f"{RANDOM_DIR}/predictions/parametric/sigma{{sigma}}/real{{realisation}}.csv"
RANDOM_PREDICTIONS_REALISTIC = f"{RANDOM_DIR}/predictions/realistic/sigma{{sigma}}/real{{realisation}}.csv"
RANDOM_PREDICTIONS_VALIDATION = f"{RANDOM_DIR}/predictions/validation/sigma{{sigma}}/real{{realisation}}.csv"
CATALOGUE_MANIFEST = "resources/{catalogue}.json"
COSMOS_DOWNLOAD = "resources/cosmos_download"


# Shared by every run prefix: the stamps depend on the simulation only (checked by
# check_shared_stamps), and so do the inputs' jobs; everything else is the run's own.
# Each belongs to a kind of stamps, which run.own_stamps may make the run's own.
SHARED_PATHS = {
    "PARAMETRIC_CHUNK": "parametric",
    "PARAMETRIC_MASTER": "parametric",
    "PARAMETRIC_SET": "parametric",
    "REALISTIC_CHUNK": "realistic",
    "REALISTIC_MASTER": "realistic",
    "REALISTIC_SET": "realistic",
    "SHIFTED_CHUNK": "realistic",  # the realistic set redrawn
    "SHIFTED_MASTER": "realistic",
    "SHIFTED_SET": "realistic",
}
SHARED_STAGES = frozenset(["simulate", "resources"])  # their logs and benchmarks too
# run.own_stamps: the kinds a run draws under its prefix
OWN_KINDS = {
    True: frozenset(["parametric", "realistic", "resources"]),
    "parametric": frozenset(["parametric"]),
}


def _stage_kind(name: str) -> str:
    """The kind of stamps a shared stage's job ("<stage>/<job>") belongs to."""
    stage, job = name.split("/", 1)
    if stage == "resources":
        return "resources"
    return "parametric" if "parametric" in job else "realistic"


class Run:
    """The paths of one run: the constants of this module (`run.X` for `X`), with every
    output but the shared stamps moved under results/<run.prefix>/ when it is set."""

    def __init__(self, config: dict):
        run = config.get("run") or {}
        prefix = run.get("prefix")
        self.root = f"{RESULTS}/{prefix}" if prefix else RESULTS
        # A campaign of its own beside another (a survey's layer): its stamps too; or a
        # variant's own training stamps, sharing the campaign's test sets.
        self.owned = OWN_KINDS.get(run.get("own_stamps"), frozenset()) if prefix else frozenset()

    def reroot(self, path: str) -> str:
        if not path.startswith(f"{RESULTS}/"):
            return path  # resources/ and file names
        return self.root + path[len(RESULTS) :]

    def __getattr__(self, name: str):
        if not name.isupper() or name not in globals():
            raise AttributeError(name)
        value = globals()[name]
        if name in SHARED_PATHS and SHARED_PATHS[name] not in self.owned:
            return value
        if isinstance(value, dict):
            return {key: self.reroot(path) for key, path in value.items()}
        return self.reroot(value)

    def _stage_path(self, kind: str, name: str, suffix: str) -> str:
        path = f"{RESULTS}/{kind}/{name}.{suffix}"
        shared = name.split("/", 1)[0] in SHARED_STAGES and _stage_kind(name) not in self.owned
        return path if shared else self.reroot(path)

    def log(self, name: str) -> str:
        """results/logs/<name>.log: one log per job, `name` = "<stage>/<job>"."""
        return self._stage_path("logs", name, "log")

    def benchmark(self, name: str) -> str:
        """results/benchmarks/<name>.tsv: the job's `benchmark:` file."""
        return self._stage_path("benchmarks", name, "tsv")

    def learning_curve_points(self, config: dict) -> list[str]:
        return [self.reroot(path) for path in learning_curve_points(config)]

    def scored(self, config: dict, name: str, prefix: str = "") -> dict:
        """What a model reads to score one set (parametric, realistic, shifted): its
        VGG-16 features for a head, its stamps (and their noiseless master) for a CNN;
        input names start with `prefix`."""
        stem = name.upper()
        if is_cnn(config):
            found = {"stamps": f"{stem}_SET", "noiseless": f"{stem}_MASTER"}
        else:
            found = {"features": f"{stem}_FEATURES"}
        return {prefix + key: getattr(self, constant) for key, constant in found.items()}

    def int8_calibration(self, config: dict, part: str) -> dict:
        """int8_calibration with its output in this run's model directory."""
        paths = int8_calibration(config, part)
        if part == "input":
            return {"master": self.PARAMETRIC_MASTER} if paths else {}
        return {key: self.reroot(path) for key, path in paths.items()} if part == "output" else paths


def is_cnn(config: dict) -> bool:
    """network.kind: cnn trains on the stamps; no VGG-16 features are made."""
    return config["network"]["kind"] == "cnn"


def training_recipe(config: dict) -> list[str]:
    """How a campaign's training stamps differ from the paper's (centred, one PSF): the
    words its figures and the README's rows use."""
    differences = (("centring", "off-centre"), ("psf_randomisation", "random PSF"))
    return [name for key, name in differences if config["parametric"].get(key)]


def check_shared_stamps(config: dict) -> None:
    """A run prefix reuses the stamps in results/stamps/: an error, before any job, if they
    were drawn from another simulation (a rerun would overwrite the campaign's)."""
    import h5py

    from blendhunter.workflow.config import digest, simulation_section

    run = Run(config)
    if run.root == RESULTS:
        return
    checks = [
        (kind, path, "config_sha256", digest(simulation_section(config, kind)))
        for kind, path in (("parametric", PARAMETRIC_MASTER), ("realistic", REALISTIC_MASTER))
    ]
    checks.append(("realistic", REALISTIC_SET, "sigma", float(config["realistic"]["sigma"])))
    for shift in centring_shifts(config) + psf_shifts(config):  # a variant of that name changed
        expected = digest(simulation_section(shifted_config(config, shift), "realistic"))
        checks.append((f"{shift} realistic", SHIFTED_MASTER.format(shift=shift), "config_sha256", expected))
    for kind, path, key, expected in checks:
        if kind.split()[-1] in run.owned:
            continue  # drawn under the prefix
        try:
            with h5py.File(path, "r") as handle:
                found = handle.attrs.get(key)
        except OSError:
            continue  # absent (drawn by this run) or not a stamp file (Snakemake redraws it)
        if found is not None and found != expected:
            raise ConfigError(
                f"run.prefix {config['run']['prefix']!r}: {path} was drawn with another {kind} "
                f"simulation ({key} {found} here, {expected} in this config), so this run cannot "
                "share it; run the variant without run.prefix in a directory of its own"
            )


SET_KEY = re.compile(r"sigma(?P<sigma>[0-9]+(?:\.[0-9]+)?)/real(?P<realisation>[0-9]+)")


def by_set(inputs, names) -> dict[tuple[str, int], dict[str, str]]:
    """A gathering job's per-set inputs keyed by (sigma label, realisation), read from each
    path's sigma{s}/real{r}, not from its position in a list: {(s, r): {name: path}}."""
    found: dict[tuple[str, int], dict[str, str]] = {}
    for name in names:
        for path in getattr(inputs, name):
            match = SET_KEY.search(str(path))
            if match is None:
                raise ValueError(f"{name}: {path} names no sigma{{s}}/real{{r}} set")
            found.setdefault((match["sigma"], int(match["realisation"])), {})[name] = str(path)
    incomplete = {
        key: sorted(set(names) - set(paths)) for key, paths in found.items() if set(paths) != set(names)
    }
    if incomplete:
        raise ValueError(f"sets without every input: {incomplete}")
    return dict(sorted(found.items(), key=lambda item: (float(item[0][0]), item[0][1])))


def sigma_labels(config: dict) -> list[str]:
    return [sigma_label(s) for s in config["parametric"]["sigmas"]]


def realisations(config: dict) -> list[int]:
    """parametric.realisations: a count N (0 .. N-1), or the realisations themselves."""
    value = config["parametric"]["realisations"]
    return list(range(value)) if isinstance(value, int) else sorted(value)


def n_chunks(config: dict, kind: str) -> int:
    section = config[kind]
    return len(chunk_bounds(section["n_stamps"], section["chunk_size"]))


def n_train(config: dict) -> int:
    """Stamps in a parametric set's training split (the simulation's own split)."""
    from blendhunter.simulation.splits import SPLIT_CODES, labels_and_split

    section = config["parametric"]
    _, codes = labels_and_split(
        section["n_stamps"], section["blend_fraction"], section["split"], config["seed"], "parametric"
    )
    return int((codes == SPLIT_CODES["train"]).sum())


def nearest_level(config: dict, target: float | None = None) -> str:
    """The label of the campaign's noise level nearest `target` (default: the realistic
    set's sigma): the level of the gallery, the companion figure and the ablation."""
    from blendhunter.evaluation.metrics import nearest_sigma

    return nearest_sigma(sigma_labels(config), config["realistic"]["sigma"] if target is None else target)


def learning_curve_set(config: dict) -> dict[str, str]:
    """The (sigma, realisation) whose training split the learning curve subsamples."""
    section = config["learning_curve"]
    return {"sigma": nearest_level(config, section["sigma"]), "realisation": str(section["realisation"])}


def learning_curve_points(config: dict) -> list[str]:
    from blendhunter.evaluation.learning_curve import sizes

    where = learning_curve_set(config)
    return [
        LEARNING_CURVE_POINT.format(n=n, **where)
        for n in sizes(config["learning_curve"]["sizes"], n_train(config))
    ]


CENTRING_SHIFT, PSF_SHIFT = "r", "psf-"  # the {shift} label's prefix: the axis it belongs to
SHIFT_WILDCARD = rf"({CENTRING_SHIFT}{SIGMA_WILDCARD}|{PSF_SHIFT}[a-z0-9][a-z0-9_.]*)"


def centring_shifts(config: dict) -> list[str]:
    """The {shift} labels of the off-centre sets, r<radius> (none: no centring axis)."""
    return [CENTRING_SHIFT + sigma_label(r) for r in config["centring_test"]["radii"]]


def psf_shifts(config: dict) -> list[str]:
    """The {shift} labels of the PSF-shift sets, psf-<variant> (none: no PSF-shift axis)."""
    return [PSF_SHIFT + variant["name"] for variant in config["psf_shift_test"]["variants"]]


def shift_section(config: dict, shift: str) -> dict:
    """The config block of the axis a {shift} label belongs to."""
    return config["psf_shift_test" if shift.startswith(PSF_SHIFT) else "centring_test"]


def shifted_chunks(config: dict, shift: str) -> list[int]:
    """The realistic set's chunks a shifted set redraws: those holding its first n_stamps
    stamps (whole chunks, so each stamp is drawn as in the set)."""
    n = min(shift_section(config, shift)["n_stamps"], config["realistic"]["n_stamps"])
    bounds = chunk_bounds(config["realistic"]["n_stamps"], config["realistic"]["chunk_size"])
    return [i for i, (start, _) in enumerate(bounds) if start < n]


def shifted_stamps(config: dict, shift: str) -> int:
    """How many stamps a shifted set holds (its chunks' stamps)."""
    bounds = chunk_bounds(config["realistic"]["n_stamps"], config["realistic"]["chunk_size"])
    return bounds[shifted_chunks(config, shift)[-1]][1]


def shifted_config(config: dict, shift: str) -> dict:
    """The config a shifted set is drawn with: the realistic set's, with its central galaxy
    off the centre pixel by the radius in a random direction (r<radius>), or every stamp's
    PSF drawn from the variant's `psf_randomisation` block (psf-<variant>)."""
    from blendhunter.workflow.config import merge

    if shift.startswith(PSF_SHIFT):
        name = shift.removeprefix(PSF_SHIFT)
        (variant,) = [v for v in config["psf_shift_test"]["variants"] if v["name"] == name]
        return merge(config, {"realistic": {"psf_randomisation": variant["psf"]}})
    return merge(config, {"realistic": {"centring": {"radius": float(shift.removeprefix(CENTRING_SHIFT))}}})


def training_settings(config: dict, sigma: str) -> dict:
    """Training hyperparameters for one noise level (global keys + overrides)."""
    settings = {k: v for k, v in config["training"].items() if k != "overrides"}
    for key, override in config["training"]["overrides"].items():
        if sigma_label(key) == sigma:
            settings.update(override)
    return settings


# Per-rule resources, from measurements on 2 cores (see README, "Cost").
# Memory is a base (Python + libraries) plus a per-stamp term with headroom.
TF_BASE_MB = 2500
SMALL_JOB_MB = 1000  # jobs without TensorFlow or whole sets in memory: tables, SEP, downloads
STAMP_BYTES = 65 * 65 * 4


def mem_simulate(config: dict, kind: str) -> int:
    return 1000 + math.ceil(3 * config[kind]["chunk_size"] * STAMP_BYTES / 1e6)


def mem_merge(config: dict, kind: str) -> int:
    return 800 + math.ceil(2 * config[kind]["chunk_size"] * STAMP_BYTES / 1e6)


def feature_values(config: dict) -> int:
    """Floats per stamp of the configured feature layer (2,048 for block5_pool)."""
    return math.prod(features.feature_shape(config["features"]["layer"]))


def mem_tensorflow(config: dict) -> int:
    """Features stream batches; training holds one set's features (twice, with headroom)."""
    return TF_BASE_MB + math.ceil(config["parametric"]["n_stamps"] * feature_values(config) * 4 * 2 / 1e6)


# Training stamp-epochs per second of the default CNN on 51x51 stamps, 2 cores (AMD EPYC)
CNN_STAMP_EPOCHS_PER_SECOND = 200


def model_settings(config: dict, sigma: str) -> dict:
    """What trains one model of the run's kind: `network.cnn`, or the heads' `training`."""
    return config["network"]["cnn"] if is_cnn(config) else training_settings(config, sigma)


def training_threads(config: dict) -> int:
    """A CNN trains with TensorFlow's threads; a head's small batches use training's."""
    return config["compute"]["threads_tensorflow" if is_cnn(config) else "threads_training"]


def training_minutes(config: dict) -> int:
    """The runtime asked for one model's training on a whole set."""
    n_stamps = config["parametric"]["n_stamps"]
    if is_cnn(config):
        epochs = config["network"]["cnn"]["max_epochs"]
        return runtime_minutes(n_stamps * epochs, per_second=CNN_STAMP_EPOCHS_PER_SECOND)
    return runtime_minutes(n_stamps * 100, per_second=20000)


def mem_training(config: dict) -> int:
    return mem_cnn(config) if is_cnn(config) else mem_tensorflow(config)


def mem_cnn(config: dict) -> int:
    """A CNN holds its set's training and validation inputs (twice, with headroom)."""
    side = config["stamp"]["size"]
    return TF_BASE_MB + math.ceil(config["parametric"]["n_stamps"] * side * side * 4 * 2 / 1e6)


def runtime_minutes(n_stamps: int, per_second: float, floor: int = 10) -> int:
    """Scheduler runtime with 3x headroom over a measured rate."""
    return max(floor, math.ceil(3 * n_stamps / per_second / 60))


def campaign_weights(config: dict) -> str:
    """The conv base's weights file of every feature of the campaign (features.weights)."""
    return NETWORK_WEIGHTS[config["features"]["weights"]]


def exported_models(weights: str, layer: str = features.DEFAULT_LAYER) -> dict[str, str]:
    """The ONNX models (float32, int8) exported from a weights file up to `layer`, beside it."""
    return {k: str(v) for k, v in engine.model_paths(weights, layer).items()}


def engine_model(config: dict, weights: str | None = None) -> dict:
    """The exported model a features job needs: ONNX for ONNX Runtime; none for TensorFlow
    and JAX, which build the network from the weights file."""
    cfg = config["features"]
    if cfg["engine"] != "onnxruntime":
        return {}
    models = exported_models(weights or campaign_weights(config), cfg["layer"])
    return {"engine_model": models[cfg["precision"]]}


def int8_calibration(config: dict, part: str) -> dict:
    """train_head's extra input (the noiseless master), params (the calibration recipe) and
    output (the int8 model's calibration stamps in the head's directory) when its features
    are int8, so that `classify` can rebuild that int8 model from the public weights
    anywhere."""
    if config["features"]["precision"] != "int8":
        return {}  # nothing, so that float32 heads do not rerun when a noise level is added
    if part == "input":
        return {"master": PARAMETRIC_MASTER}
    if part == "params":  # the recipe of rule vgg16_int8's calibration
        return {"sigmas": config["parametric"]["sigmas"], "n": config["features"]["calibration_stamps"]}
    return {"int8_calibration": f"{MODEL_DIR}/{features.INT8_CALIBRATION_FILE}"}


def pretraining_realistic_stamps(config: dict) -> int:
    """How many realistic stamps (the first ones) the pre-training ablation compares on."""
    first = config["pretraining"]["realistic_stamps"]
    n = config["realistic"]["n_stamps"]
    return n if first is None else min(first, n)


def features_rate(config: dict) -> float:
    """Stamps/s a features job is planned for (runtime requests); measured on 2 cores."""
    cfg = config["features"]
    return 150.0 if cfg["precision"] == "int8" else 40.0


def gpu_resources(config: dict) -> dict:
    """GPU request for the TensorFlow rules (Slurm plugin's `gpu`), only when configured."""
    return {"gpu": config["compute"]["gpu"]} if config["compute"]["gpu"] > 0 else {}
