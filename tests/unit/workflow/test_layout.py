"""Paths: gathering jobs find each set's inputs by the set's name in the path, not by
position; every rule's path comes from layout; a run prefix moves a variant's outputs."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from blendhunter.errors import ConfigError
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import layout
from tests.conftest import REPO, make_config


def test_by_set_pairs_inputs_by_sigma_and_realisation_whatever_their_order():
    inputs = SimpleNamespace(
        stamps=["results/stamps/parametric/sigma25/real0.h5", "results/stamps/parametric/sigma5/real1.h5"],
        predictions=[
            "results/predictions/parametric/sigma5/real1.csv",
            "results/predictions/parametric/sigma25/real0.csv",
        ],
    )
    found = layout.by_set(inputs, ("stamps", "predictions"))
    assert list(found) == [("5", 1), ("25", 0)]  # sorted by noise level, then realisation
    assert found[("25", 0)]["predictions"].endswith("sigma25/real0.csv")
    assert found[("5", 1)]["stamps"].endswith("sigma5/real1.h5")


def test_by_set_refuses_a_set_without_every_input():
    inputs = SimpleNamespace(
        stamps=["a/sigma5/real0.h5", "a/sigma15/real0.h5"], predictions=["b/sigma5/real0.csv"]
    )
    with pytest.raises(ValueError, match="without every input"):
        layout.by_set(inputs, ("stamps", "predictions"))


def test_no_path_is_typed_in_a_rule():
    """Outputs, logs and benchmarks come from layout (`paths.X`, `paths.log`, `paths.benchmark`)."""
    for rules in (REPO / "rules").glob("*.smk"):
        code = [line for line in rules.read_text().splitlines() if not line.strip().startswith("#")]
        typed = [line.strip() for line in code if '"results/' in line or "'results/" in line]
        assert typed == [], f"{rules.name}: {typed}"


def test_a_run_prefix_moves_every_output_but_the_shared_stamps():
    run = layout.Run(make_config({"run": {"prefix": "variants/x"}}))
    assert run.PARAMETRIC_SET == layout.PARAMETRIC_SET and run.REALISTIC_MASTER == layout.REALISTIC_MASTER
    assert run.SHIFTED_SET == layout.SHIFTED_SET
    assert run.MODEL_DIR == "results/variants/x/models/sigma{sigma}/real{realisation}"
    assert run.TABLES["per_sigma"] == "results/variants/x/tables/per_sigma_summary.csv"
    assert run.log("train/sigma5_real0") == "results/variants/x/logs/train/sigma5_real0.log"
    assert run.benchmark("simulate/realistic_set") == "results/benchmarks/simulate/realistic_set.tsv"
    default = layout.Run(make_config())
    assert default.MODEL_DIR == layout.MODEL_DIR and default.log("a/b") == "results/logs/a/b.log"


def test_a_run_prefix_refuses_stamps_drawn_from_another_simulation(tmp_path, monkeypatch):
    """A variant that would redraw the shared stamps (and so overwrite the campaign's) stops
    before any job; the same simulation passes."""
    import h5py

    monkeypatch.chdir(tmp_path)
    cfg = make_config({"run": {"prefix": "variants/x"}})
    master = Path(layout.PARAMETRIC_MASTER)
    master.parent.mkdir(parents=True)
    with h5py.File(master, "w") as handle:
        handle.attrs["config_sha256"] = bh_config.digest(bh_config.simulation_section(cfg, "parametric"))
    layout.check_shared_stamps(cfg)
    with pytest.raises(ConfigError, match="run.prefix 'variants/x'.*another parametric simulation"):
        layout.check_shared_stamps(bh_config.merge(cfg, {"seed": cfg["seed"] + 1}))
    layout.check_shared_stamps(bh_config.merge(cfg, {"run": {"prefix": None}, "seed": cfg["seed"] + 1}))


def test_a_run_prefix_refuses_a_shifted_set_drawn_with_another_psf(tmp_path, monkeypatch):
    """A variant whose PSF-shift variant of the same name has another PSF would overwrite
    the campaign's shifted set: an error naming it; the same variant passes."""
    import h5py

    monkeypatch.chdir(tmp_path)
    cfg = make_config({"run": {"prefix": "variants/x"}})
    (shift,) = layout.psf_shifts(cfg)[:1]
    master = Path(layout.SHIFTED_MASTER.format(shift=shift))
    master.parent.mkdir(parents=True)
    with h5py.File(master, "w") as handle:
        section = bh_config.simulation_section(layout.shifted_config(cfg, shift), "realistic")
        handle.attrs["config_sha256"] = bh_config.digest(section)
    layout.check_shared_stamps(cfg)
    variants = [dict(v) for v in cfg["psf_shift_test"]["variants"]]
    variants[0]["psf"] = {**variants[0]["psf"], "fwhm_scale": [2.0, 2.0]}
    with pytest.raises(ConfigError, match=f"{shift} realistic simulation"):
        layout.check_shared_stamps(bh_config.merge(cfg, {"psf_shift_test": {"variants": variants}}))


def test_a_campaign_of_its_own_moves_its_stamps_too(tmp_path, monkeypatch):
    """run.own_stamps (a survey's layer): every path under the prefix, stamps, simulation
    logs and int8 calibration input included, and no check against results/stamps/."""
    import h5py

    monkeypatch.chdir(tmp_path)
    cfg = make_config({"run": {"prefix": "surveys/hsc-i", "own_stamps": True}})
    run = layout.Run(cfg)
    assert run.PARAMETRIC_SET == "results/surveys/hsc-i/stamps/parametric/sigma{sigma}/real{realisation}.h5"
    assert run.SHIFTED_SET.startswith("results/surveys/hsc-i/stamps/")
    benchmark = run.benchmark("simulate/realistic_set")
    assert benchmark == "results/surveys/hsc-i/benchmarks/simulate/realistic_set.tsv"
    int8 = bh_config.merge(cfg, {"features": {"precision": "int8"}})
    assert run.int8_calibration(int8, "input") == {"master": run.PARAMETRIC_MASTER}
    master = Path(layout.PARAMETRIC_MASTER)
    master.parent.mkdir(parents=True)
    with h5py.File(master, "w") as handle:
        handle.attrs["config_sha256"] = "another campaign's"
    layout.check_shared_stamps(cfg)


def test_a_variant_may_own_only_its_training_stamps(tmp_path, monkeypatch):
    """run.own_stamps: parametric (a variant drawing its training stamps otherwise): those
    and their simulation logs under the prefix, unchecked; the test sets shared, checked."""
    import h5py

    monkeypatch.chdir(tmp_path)
    cfg = make_config({"run": {"prefix": "variants/x", "own_stamps": "parametric"}})
    run = layout.Run(cfg)
    assert run.PARAMETRIC_MASTER == "results/variants/x/stamps/parametric/noiseless.h5"
    assert run.REALISTIC_SET == layout.REALISTIC_SET and run.SHIFTED_SET == layout.SHIFTED_SET
    assert run.log("simulate/merge_parametric") == "results/variants/x/logs/simulate/merge_parametric.log"
    assert run.log("simulate/realistic_set") == "results/logs/simulate/realistic_set.log"
    assert run.log("resources/vgg16_weights") == "results/logs/resources/vgg16_weights.log"
    for path in (layout.PARAMETRIC_MASTER, layout.REALISTIC_MASTER):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(path, "w") as handle:
            handle.attrs["config_sha256"] = "another campaign's"
    with pytest.raises(ConfigError, match="another realistic simulation"):
        layout.check_shared_stamps(cfg)


def test_realisations_are_a_count_or_a_list():
    assert layout.realisations(make_config({"parametric": {"realisations": 3}})) == [0, 1, 2]
    chosen = make_config({"parametric": {"realisations": [2, 1]}, "learning_curve": {"realisation": 1}})
    assert layout.realisations(chosen) == [1, 2]
    for bad in ([], [1, 1], [-1]):
        with pytest.raises(bh_config.ConfigError, match="realisations"):
            make_config({"parametric": {"realisations": bad}, "learning_curve": {"realisation": 1}})
    with pytest.raises(bh_config.ConfigError, match="learning_curve.realisation: 0"):
        make_config({"parametric": {"realisations": [1, 2]}})
    # a CNN run draws its learning curve too (CNNs on subsets of that realisation's stamps)
    with pytest.raises(bh_config.ConfigError, match="learning_curve.realisation: 0"):
        make_config({"parametric": {"realisations": [1, 2]}, "network": {"kind": "cnn"}})


def test_training_recipe_names_how_the_training_stamps_differ_from_the_papers():
    assert layout.training_recipe(make_config()) == []
    centring = {"parametric": {"centring": {"subpixel": True, "sigma": 1.0, "max": 3.0}}}
    assert layout.training_recipe(make_config(centring)) == ["off-centre"]
    randomised = {"profiles": ["moffat"], "fwhm_scale": [0.8, 1.2], "moffat_beta": [2.0, 5.0]}
    psf = {"parametric": {"psf_randomisation": randomised}}
    assert layout.training_recipe(make_config(centring, psf)) == ["off-centre", "random PSF"]
