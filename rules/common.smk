# Configuration checks and the names every rule file shares.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from blendhunter.workflow import config as bh_config
from blendhunter.workflow import inputs as bh_inputs
from blendhunter.network import training as bh_training
from blendhunter.workflow import units as bh_units
from blendhunter.workflow import layout

try:
    bh_config.validate(config)
    for key in ("cosmos_parametric", "cosmos_real"):
        bh_inputs.check_catalogue_config(key, config["resources"][key])
    if config["resources"]["vgg16_weights"] != "imagenet":
        bh_inputs.check_vgg16_weights(config["resources"]["vgg16_weights"])
    layout.check_shared_stamps(config)
except (bh_config.ConfigError, bh_inputs.ResourceError) as err:
    raise WorkflowError(str(err))


# Every output, log and benchmark path of this run (results/, or results/<run.prefix>/).
paths = layout.Run(config)
SIGMAS = layout.sigma_labels(config)
REALISATIONS = layout.realisations(config)
# The training noise level nearest the realistic set's: gallery, companion figure.
NEAREST_SIGMA = layout.nearest_level(config)
PRETRAINING_REALISATIONS = REALISATIONS[: config["pretraining"]["realisations"]]
# The shifted test sets of each axis (none: that axis is off)
CENTRING_SHIFTS = layout.centring_shifts(config)
PSF_SHIFTS = layout.psf_shifts(config)
CONDA_ENV = "../envs/blendhunter.yaml"
# What each rule's run time scales with (blendhunter.workflow.units), set next to the rule;
# rules without an entry are fixed-cost. The benchmark roll-up and the cost
# projection read it with the job graph (blendhunter.workflow.jobgraph).
WORK_UNITS = {}


wildcard_constraints:
    sigma=bh_config.SIGMA_WILDCARD,
    realisation=r"[0-9]+",
    chunk=r"[0-9]+",
    shift=layout.SHIFT_WILDCARD,
    network="|".join(Path(w).stem for w in layout.NETWORK_WEIGHTS.values()),


def per_set(pattern):
    """`pattern` for every (sigma, realisation) training set of the config."""
    return expand(pattern, sigma=SIGMAS, realisation=REALISATIONS)


def final_outputs():
    """What `snakemake` builds by default: every stage, every table and figure."""
    model_files = [f"{paths.MODEL_DIR}/{name}" for name in layout.MODEL_FILES.values()]
    outputs = [path for pattern in model_files for path in per_set(pattern)]
    outputs += per_set(paths.PREDICTIONS_TEST) + per_set(paths.PREDICTIONS_REALISTIC)
    outputs += per_set(paths.CALIBRATION)
    outputs += expand(paths.SUMMARY, sigma=SIGMAS)
    optional = set() if config["pretraining"]["compare_random"] else {"pretraining"}
    # The pre-training ablation studies VGG-16 features.
    optional |= {"pretraining"} if layout.is_cnn(config) else set()
    optional |= set() if CENTRING_SHIFTS else {"centring"}
    optional |= set() if PSF_SHIFTS else {"psf_shift"}
    outputs += [path for name, path in paths.TABLES.items() if name not in optional]
    outputs += [
        f"{stem}.{ext}"
        for name, stem in paths.FIGURES.items()
        if name not in optional
        for ext in layout.FIGURE_FORMATS
    ]
    outputs.append(paths.BENCHMARKS)
    return outputs


def catalogue_inputs(wildcards):
    """A catalogue with no local path comes from the public download."""
    if config["resources"][wildcards.catalogue]["path"] is None:
        return {"download": layout.COSMOS_DOWNLOAD}
    return {}


def chunk_files(kind):
    pattern = paths.PARAMETRIC_CHUNK if kind == "parametric" else paths.REALISTIC_CHUNK
    return expand(pattern, chunk=range(layout.n_chunks(config, kind)))


def realistic_flux_inputs():
    """Real galaxies with the parametric set's fluxes need the parametric catalogue."""
    if config["realistic"]["flux_distribution"] == "parametric":
        return {
            "parametric_catalogue": layout.CATALOGUE_MANIFEST.format(
                catalogue="cosmos_parametric"
            )
        }
    return {}


def nearest_level(pattern):
    """`pattern` for the pre-training ablation's realisations of the nearest noise level."""
    return expand(pattern, sigma=NEAREST_SIGMA, realisation=PRETRAINING_REALISATIONS)


def score_figure(name, caption, label):
    """A PNG of rules/scores.smk, registered in the report."""
    return report(
        f"{paths.FIGURES[name]}.png",
        caption=f"../report/{caption}.rst",
        category="Figures",
        subcategory="Scores and calibration",
        labels={"figure": label},
    )


def shift_table_inputs(shifts):
    """A shift table's sets: the realistic set's (the unshifted reference) and each shift's,
    with SEP's labels and the predictions of the models nearest the realistic set's noise.
    """
    return {
        "realistic_set": paths.REALISTIC_SET,
        "sep_realistic": paths.SEP_REALISTIC,
        "bh_realistic": expand(
            paths.PREDICTIONS_REALISTIC, sigma=NEAREST_SIGMA, realisation=REALISATIONS
        ),
        "shifted_sets": expand(paths.SHIFTED_SET, shift=shifts),
        "sep_shifted": expand(paths.SEP_SHIFTED, shift=shifts),
        "bh_shifted": expand(
            paths.PREDICTIONS_SHIFTED,
            shift=shifts,
            sigma=NEAREST_SIGMA,
            realisation=REALISATIONS,
        ),
    }
