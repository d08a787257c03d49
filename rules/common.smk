# Configuration checks and the names every rule file shares.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from blendhunter import config as bh_config
from blendhunter import resources as bh_resources
from blendhunter import workflow as wf


try:
    bh_config.validate(config)
    for key in ("cosmos_parametric", "cosmos_real"):
        bh_resources.check_catalogue_config(key, config["resources"][key])
    if config["resources"]["vgg16_weights"] != "imagenet":
        bh_resources.check_vgg16_weights(config["resources"]["vgg16_weights"])
except (bh_config.ConfigError, bh_resources.ResourceError) as err:
    raise WorkflowError(str(err))


SIGMAS = wf.sigma_labels(config)
REALISATIONS = wf.realisations(config)
SCRIPTS = Path(workflow.basedir) / "workflow" / "scripts"
CONDA_ENV = "../envs/blendhunter.yaml"


wildcard_constraints:
    sigma=r"[0-9]+(\.[0-9]+)?",
    realisation=r"[0-9]+",
    chunk=r"[0-9]+",
