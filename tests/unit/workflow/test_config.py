"""blendhunter.workflow.config: loading, merging, validation messages and digests of the campaign config."""

from __future__ import annotations

import copy

import pytest
import yaml

from blendhunter.workflow import config as bh_config
from blendhunter.workflow import inputs as bh_inputs
from tests.conftest import REPO, make_config


def problems(cfg: dict) -> str:
    """The ConfigError message for `cfg` (the test fails if it validates)."""
    with pytest.raises(bh_config.ConfigError) as info:
        bh_config.validate(cfg)
    return str(info.value)


@pytest.fixture
def cfg() -> dict:
    return make_config()


LAYERED = sorted((REPO / "config").glob("*.yaml")) + sorted((REPO / "config" / "variants").glob("*.yaml"))


@pytest.mark.parametrize(
    "extra", [p for p in LAYERED if p.name not in ("config.yaml", "config.schema.yaml")], ids=lambda p: p.name
)
def test_shipped_configs_are_valid(extra):
    """Every shipped file, layered as its header says: on config.yaml, and the variants on
    the reference (load validates)."""
    base = REPO / "config" / "config.yaml"
    layers = [base]
    if extra.parent.name == "variants":
        layers += [REPO / "config" / "reference.yaml", REPO / "config" / "variants" / "study.yaml"]
    bh_config.load(*layers, extra)
    bh_config.load(base, REPO / "tests" / "configs" / "tiny.yaml")


def test_stamp_size_and_padding_must_give_the_networks_input(cfg):
    cfg["stamp"]["pad"] = 6
    assert "stamp.size + 2 x stamp.pad is 63" in problems(cfg)


def test_sigma_labels_are_unique_and_path_safe(cfg):
    cfg["parametric"]["sigmas"] = [15, 15.0000001]
    assert "the same file label ['15']" in problems(cfg)
    cfg["parametric"]["sigmas"] = [1e-7, 15]
    assert "gives the file label '1e-07'" in problems(cfg)


def test_packaged_schema_matches_the_documented_one():
    documented = yaml.safe_load((REPO / "config" / "config.schema.yaml").read_text())
    assert bh_config.schema() == documented


def test_load_merges_later_files_over_earlier_ones(tmp_path):
    override = tmp_path / "override.yaml"
    override.write_text("parametric:\n  n_stamps: 60\nstamp:\n  close_separation: 8\n")
    base = REPO / "config" / "config.yaml"
    cfg = bh_config.load(base, override)
    defaults = yaml.safe_load(base.read_text())
    assert cfg["parametric"]["n_stamps"] == 60
    assert cfg["stamp"]["close_separation"] == 8
    # keys the override does not mention keep their defaults, nested ones too
    assert cfg["parametric"]["split"] == defaults["parametric"]["split"]
    assert cfg["stamp"]["size"] == defaults["stamp"]["size"]


def test_merge_does_not_modify_its_inputs():
    base = {"a": {"b": 1, "c": [1, 2]}}
    before = copy.deepcopy(base)
    merged = bh_config.merge(base, {"a": {"b": 2}})
    merged["a"]["c"].append(3)
    assert base == before
    assert merged == {"a": {"b": 2, "c": [1, 2, 3]}}


def test_enum_message_names_key_value_and_choices(cfg):
    cfg["features"]["preprocessing"] = "jpeg"
    message = problems(cfg)
    assert "features.preprocessing" in message
    assert "'jpeg'" in message
    assert "'png'" in message and "'caffe'" in message


def test_enum_message_spells_booleans_as_yaml_does(cfg):
    cfg["run"] = {"prefix": "variants/x", "own_stamps": "maybe"}
    assert "choose one of true, false, 'parametric'" in problems(cfg)


def test_unknown_top_level_key_is_named(cfg):
    cfg["sigmas"] = [5, 10]  # belongs under parametric
    message = problems(cfg)
    assert "unknown key" in message
    assert "'sigmas'" in message


def test_unknown_nested_key_is_named_with_its_section(cfg):
    cfg["parametric"]["n_stamp"] = 100  # typo of n_stamps
    message = problems(cfg)
    assert "parametric: unknown key(s) 'n_stamp'" in message
    assert "n_stamps" in message  # the allowed keys are listed


def test_split_must_sum_to_one(cfg):
    cfg["parametric"]["split"] = {"train": 0.5, "validation": 0.45, "test": 0.1}
    message = problems(cfg)
    assert "parametric.split" in message
    assert "sum to 1.05" in message


def test_psf_randomisation_ranges_must_be_low_then_high(cfg):
    spec = {"profiles": ["recipe"], "fwhm_scale": [1.2, 0.8], "moffat_beta": [2, 5]}
    cfg["parametric"]["psf_randomisation"] = spec
    message = problems(cfg)
    assert "parametric.psf_randomisation.fwhm_scale: [1.2, 0.8] is not [low, high]" in message
    assert "moffat_beta" not in message


def test_split_summing_to_one_within_rounding_is_accepted(cfg):
    cfg["parametric"]["split"] = {"train": 0.7, "validation": 0.2, "test": 0.1}  # 0.9999999999999999
    bh_config.validate(cfg)


@pytest.mark.parametrize(
    ("section", "key", "value", "named"),
    [
        ("parametric", "sigmas", [-5, 20], "parametric.sigmas.0"),
        ("parametric", "sigmas", [5, 0], "parametric.sigmas.1"),
        ("realistic", "sigma", -14.5, "realistic.sigma"),
        ("selection", "min_peak_snr", -1, "selection.min_peak_snr"),
        ("stamp", "pixel_scale", 0, "stamp.pixel_scale"),
        ("parametric", "blend_fraction", 1.0, "parametric.blend_fraction"),
        ("parametric", "realisations", 0, "parametric.realisations"),
    ],
)
def test_out_of_range_values_are_named(cfg, section, key, value, named):
    cfg[section][key] = value
    message = problems(cfg)
    assert f"{named}:" in message
    assert "must be" in message


def test_missing_key_is_named(cfg):
    del cfg["psf"]["optical_beta"]
    message = problems(cfg)
    assert "psf" in message and "'optical_beta'" in message


def test_wrong_type_is_named(cfg):
    cfg["parametric"]["n_stamps"] = "many"
    assert "parametric.n_stamps" in problems(cfg)


def test_even_stamp_size_is_rejected(cfg):
    cfg["stamp"]["size"] = 50
    assert "stamp.size: 50 must be odd" in problems(cfg)


def test_training_override_for_unknown_sigma_is_rejected(cfg):
    cfg["training"]["overrides"] = {"7": {"learning_rate": 1e-4}}
    message = problems(cfg)
    assert "training.overrides.7" in message


def test_every_problem_is_listed(cfg):
    cfg["features"]["preprocessing"] = "jpeg"
    cfg["realistic"]["sigma"] = -1
    cfg["colour"] = "red"
    message = problems(cfg)
    for named in ("features.preprocessing", "realistic.sigma", "'colour'"):
        assert named in message


def test_config_error_is_a_value_error():
    assert issubclass(bh_config.ConfigError, ValueError)


def test_simulation_digest_tracks_what_makes_the_stamps(cfg):
    digest = bh_config.digest(bh_config.simulation_section(cfg, "parametric"))
    assert digest == bh_config.digest(bh_config.simulation_section(copy.deepcopy(cfg), "parametric"))

    # noise levels and realisations do not change the noiseless master
    other = copy.deepcopy(cfg)
    other["parametric"]["sigmas"] = [10]
    other["parametric"]["realisations"] = 5
    other["training"]["max_epochs"] = 1
    assert bh_config.digest(bh_config.simulation_section(other, "parametric")) == digest

    # what shapes a noiseless stamp does
    for section, key, value in [
        ("seed", None, cfg["seed"] + 1),
        ("psf", "atmos_fwhm_mean", 0.6),
        ("flux", "exposure_time", 100),
        ("selection", "min_peak_snr", 0),
        ("parametric", "n_stamps", 200),
    ]:
        changed = copy.deepcopy(cfg)
        if key is None:
            changed[section] = value
        else:
            changed[section][key] = value
        assert bh_config.digest(bh_config.simulation_section(changed, "parametric")) != digest, section

    # the realistic master ignores its sigma
    realistic = bh_config.digest(bh_config.simulation_section(cfg, "realistic"))
    other = copy.deepcopy(cfg)
    other["realistic"]["sigma"] = 20
    assert bh_config.digest(bh_config.simulation_section(other, "realistic")) == realistic


def test_digest_ignores_key_order():
    assert bh_config.digest({"a": 1, "b": {"c": 2, "d": 3}}) == bh_config.digest(
        {"b": {"d": 3, "c": 2}, "a": 1}
    )


def test_missing_catalogue_directory_names_the_key(tmp_path):
    entry = {"path": str(tmp_path / "nowhere"), "file_name": "src_cosmos.fits"}
    with pytest.raises(bh_inputs.ResourceError) as info:
        bh_inputs.check_catalogue_config("cosmos_parametric", entry)
    assert "resources.cosmos_parametric.path" in str(info.value)
    assert "nowhere" in str(info.value)


def test_missing_catalogue_file_names_the_key(tmp_path):
    entry = {"path": str(tmp_path), "file_name": "src_cosmos.fits"}
    with pytest.raises(bh_inputs.ResourceError) as info:
        bh_inputs.check_catalogue_config("cosmos_real", entry)
    assert "resources.cosmos_real" in str(info.value)
    assert "src_cosmos.fits" in str(info.value)


def test_offline_catalogues_pass_the_parse_time_check(cfg):
    for key in ("cosmos_parametric", "cosmos_real"):
        bh_inputs.check_catalogue_config(key, cfg["resources"][key])
    # null means "download": nothing to check at parse time
    bh_inputs.check_catalogue_config("cosmos_real", {"path": None, "file_name": "x.fits"})


def test_random_weights_and_the_random_ablation_are_exclusive(cfg):
    cfg["features"]["weights"] = "random"
    cfg["pretraining"]["compare_random"] = True
    assert "pretraining.compare_random" in problems(cfg) and "features.weights: random" in problems(cfg)
    cfg["pretraining"]["compare_random"] = False
    bh_config.validate(cfg)
