"""From a user's image to heads trained for it: `blendhunter configure` measures a layer
from a survey-like image, and a tiny campaign with that layer trains a head on stamps
drawn with the image's pixel scale, PSF and noise, in a results folder of its own."""

import json

import h5py
import pytest
import yaml

from blendhunter import cli, scene
from blendhunter.network import training
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import layout, presets

from ..conftest import REPO, make_config, run_snakemake, write_config


@pytest.mark.slow
def test_a_layer_from_configure_trains_a_head_for_its_image(tmp_path):
    preset = yaml.safe_load((REPO / presets.FOLDER / "hsc-i.yaml").read_text())
    image = tmp_path / "field.fits"
    scene.simulate(bh_config.merge(make_config(), preset), scene.Scene(side=900, star_density=8.0),
                   image, tmp_path / "truth.csv")  # fmt: skip
    layer_path = tmp_path / "field.yaml"
    assert cli.main(["configure", str(image), "--output", str(layer_path)]) == 0
    layer = yaml.safe_load(layer_path.read_text())
    assert layer["run"] == {"prefix": "images/field", "own_stamps": True}

    cfg = make_config(layer, {"parametric": {"realisations": 1}})
    configfile = write_config(tmp_path / "config.yaml", cfg)
    paths = layout.Run(cfg)
    where = {"sigma": f"{layer['realistic']['sigma']:g}", "realisation": 0}
    model_dir = paths.MODEL_DIR.format(**where)
    run_snakemake(tmp_path, configfile, f"{model_dir}/{training.METADATA_FILE}")

    assert model_dir.startswith("results/images/field/")
    assert not (tmp_path / layout.PARAMETRIC_MASTER).exists()  # nothing in the default campaign's place
    with h5py.File(tmp_path / paths.PARAMETRIC_SET.format(**where)) as handle:
        assert handle.attrs["sigma"] == pytest.approx(layer["realistic"]["sigma"])
        assert float(handle.attrs["pixel_scale"]) == pytest.approx(layer["stamp"]["pixel_scale"])
    metadata = json.loads((tmp_path / model_dir / training.METADATA_FILE).read_text())
    assert metadata["train_sigma"] == pytest.approx(layer["realistic"]["sigma"])
