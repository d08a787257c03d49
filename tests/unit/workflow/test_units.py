"""blendhunter.workflow.units: each rule's work units, registered next to the rule."""

from __future__ import annotations

from blendhunter.workflow import layout, rollup, units
from tests.conftest import make_config


def test_units_follow_the_work_of_each_job(tmp_path):
    cfg = make_config({"parametric": {"n_stamps": 100, "chunk_size": 40}, "training": {"max_epochs": 7}})
    chunk = units.chunk_stamps("parametric")
    assert [chunk(cfg, {"chunk": c}) for c in "012"] == [40, 40, 20]
    sizes = units.split_sizes(cfg)
    train = units.head_training(str(tmp_path / "sigma{sigma}"))
    assert train(cfg, {"sigma": "5"}, 3) == 3 * (sizes["train"] + sizes["validation"])
    assert train(cfg, {"sigma": "5"}) == 7 * (sizes["train"] + sizes["validation"])  # no history yet
    (tmp_path / "sigma5").mkdir()
    (tmp_path / "sigma5" / layout.MODEL_FILES["history"]).write_text("epoch,loss\n0,1\n1,0.5\n")
    assert train(cfg, {"sigma": "5"}) == 2 * (sizes["train"] + sizes["validation"])  # as it ran
    assert units.realistic_stamps(cfg, {}) == cfg["realistic"]["n_stamps"]
    predicted = sizes["validation"] + sizes["test"] + cfg["realistic"]["n_stamps"]
    assert units.predictions(units.realistic_stamps)(cfg, {}) == predicted
    assert rollup.job_units({}, {"rule": "figure_noise", "wildcards": ""}, cfg) == 1
