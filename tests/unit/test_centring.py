"""Centring errors in the simulation (parametric.centring, realistic.centring) and re-centring on the light
(blendhunter.centring), on real GalSim stamps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from blendhunter import centring
from blendhunter.simulation import simulate, splits, stamps
from tests.conftest import make_config
from tests.unit.conftest import image_argv, run

DRAWS = 4000


def offsets(spec: dict) -> np.ndarray:
    return np.array([simulate.centring_offset(spec, 7, "parametric", i) for i in range(DRAWS)])


def test_no_centring_is_the_exact_centre():
    assert simulate.centring_offset(None, 7, "parametric", 3) == (0.0, 0.0)
    assert simulate.centring_offset({}, 7, "parametric", 3) == (0.0, 0.0)


def test_subpixel_offsets_are_uniform_in_half_a_pixel():
    found = offsets({"subpixel": True})
    assert np.all(np.abs(found) <= 0.5)
    assert np.allclose(found.mean(axis=0), 0, atol=0.02)  # s.e. 0.0046
    assert np.allclose(found.var(axis=0), 1 / 12, rtol=0.06)  # s.e. ~2%
    counts = np.histogram(found[:, 0], bins=10, range=(-0.5, 0.5))[0]
    assert counts.min() > 0.8 * DRAWS / 10  # flat: each tenth within 20% of its share


def test_gaussian_errors_follow_a_truncated_rayleigh_length():
    found = offsets({"sigma": 1.0, "max": 2.5})
    length = np.hypot(*found.T)
    assert length.max() <= 2.5
    inside_sigma = (1 - np.exp(-0.5)) / (1 - np.exp(-(2.5**2) / 2))  # 0.411
    assert abs((length < 1.0).mean() - inside_sigma) < 0.03  # s.e. 0.008
    assert np.allclose(found.mean(axis=0), 0, atol=0.05)


def test_a_radius_puts_every_offset_that_far_in_a_random_direction():
    found = offsets({"radius": 2.0})
    assert np.allclose(np.hypot(*found.T), 2.0)
    angle = np.arctan2(found[:, 1], found[:, 0])
    assert abs(np.cos(angle).mean()) < 0.05 and abs(np.sin(angle).mean()) < 0.05


N = 40


def draw(cfg: dict, centring_spec: dict | None):
    kind = "parametric"
    cfg = {**cfg, kind: {**cfg[kind], **({"centring": centring_spec} if centring_spec else {})}}
    res = cfg["resources"]["cosmos_parametric"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "parametric", seed=cfg["seed"])
    labels, _ = splits.labels_and_split(N, 0.5, None, cfg["seed"], "parametric")
    return simulate.draw_chunk(0, N, labels, source, "parametric", cfg)


@pytest.fixture(scope="module")
def centred_and_shifted():
    cfg = make_config()
    return draw(cfg, None), draw(cfg, {"radius": 1.6})


def test_the_off_centre_set_moves_only_the_central_galaxy(centred_and_shifted):
    (images0, meta0), (images1, meta1) = centred_and_shifted
    same = ["label", "index1", "index2", "id1", "id2", "separation"]
    for key in same:
        assert np.array_equal(np.nan_to_num(meta0[key]), np.nan_to_num(meta1[key])), key
    moved = np.hypot(meta1["x1"] - meta0["x1"], meta1["y1"] - meta0["y1"])
    assert np.allclose(moved, 1.6)
    blend = meta0["label"] == 1
    assert np.allclose(meta1["x2"][blend] - meta1["x1"][blend], meta0["x2"][blend] - meta0["x1"][blend])
    # the same light, moved: the shifted stamps are the centred ones shifted back
    back = centring.fourier_shift(images1, meta0["x1"] - meta1["x1"], meta0["y1"] - meta1["y1"])
    inner = (slice(None), slice(10, -10), slice(10, -10))
    assert np.abs(back[inner] - images0[inner]).max() < 0.05 * images0.max()


def test_recentring_recovers_a_known_sub_pixel_offset(centred_and_shifted):
    _, (images, meta) = centred_and_shifted
    noisy = images + stamps.noise(1, 5.0, 0, np.arange(N), images.shape[1:])
    isolated = meta["label"] == 0
    moved, shift_x, shift_y, ok = centring.recentre_stamps(noisy[isolated])
    centre = (images.shape[1] - 1) / 2
    error = np.hypot(shift_x - (meta["x1"][isolated] - centre), shift_y - (meta["y1"][isolated] - centre))
    assert ok.all() and np.median(error) < 0.2, error


def test_classify_image_recentres_a_source_given_2_px_off(kit, tmp_path, capsys):
    truth = pd.read_csv(kit.catalogue)
    angle = np.linspace(0, 2 * np.pi, len(truth), endpoint=False)
    off = truth.assign(x=truth["x"] + 2 * np.cos(angle), y=truth["y"] + 2 * np.sin(angle))
    off.to_csv(tmp_path / "off.csv", index=False)
    out = tmp_path / "out.csv"
    argv = image_argv(kit, out)
    status, err = run([*argv, "--catalogue", tmp_path / "off.csv", kit.image], capsys)
    assert status == 0, err
    table = pd.read_csv(out, keep_default_na=False)
    assert np.allclose(table["shift"], 2.0, atol=0.25)
    assert np.hypot(table["x_centre"] - truth["x"], table["y_centre"] - truth["y"]).max() < 0.2
    assert not table["flags"].str.contains("centring").any()


def test_training_centring_leaves_the_test_set_as_the_centred_campaigns():
    """config/centring.yaml moves the training sets' galaxies only: the realistic set's
    section (hence its stamps and their hash) is the default campaign's."""
    from blendhunter.workflow.config import load, simulation_section

    default = load("config/config.yaml")
    layered = load("config/config.yaml", "config/centring.yaml")
    assert simulation_section(layered, "realistic") == simulation_section(default, "realistic")
    assert simulation_section(layered, "parametric")["parametric"]["centring"]["sigma"] == 1.0
