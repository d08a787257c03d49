"""The simulation stage through the package API: real GalSim, real COSMOS catalogues.

Stamps are drawn from /work/shared/data (the offline resources), a few dozen
per kind, and checked against what docs/science.md (Simulation) promises: seeding, geometry,
brightness cut, PSF and flux scale, labels and splits, and the noise of sets.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from blendhunter.simulation import psf as psf_model
from blendhunter.simulation import seeds, simulate, splits, stamps
from blendhunter.workflow import config as bh_config
from tests.conftest import REPO, make_config

N_SAMPLE = {"parametric": 60, "realistic": 40}


KINDS = ("parametric", "realistic")


# Tolerances of the physical checks (docs/science.md, Simulation)
FWHM_RANGE = (0.60, 0.70)  # arcsec: mean total PSF FWHM 0.65


FWHM_AGREEMENT = 0.04  # arcsec between the sets' mean FWHM (10 PSFs each)


FLUX_FACTOR = 3.0  # median isolated flux of one set within this factor of the other's


def open_source(cfg: dict, kind: str) -> simulate.GalaxySource:
    """A fresh source (empty galaxy cache) as the workflow's chunk rule opens it."""
    entry = cfg["resources"][simulate.CATALOGUE[kind]]
    return simulate.GalaxySource(entry["path"], entry["file_name"], simulate.GAL_TYPE[kind], seed=cfg["seed"])


def set_labels(cfg: dict, kind: str) -> np.ndarray:
    section = cfg[kind]
    labels, _ = splits.labels_and_split(
        section["n_stamps"], section["blend_fraction"], None, cfg["seed"], kind
    )
    return labels


@dataclass
class Sample:
    images: np.ndarray
    meta: pd.DataFrame
    size: int  # catalogue rows


@pytest.fixture(scope="module")
def cfg() -> dict:
    return make_config()


@pytest.fixture(scope="module")
def samples(cfg) -> dict[str, Sample]:
    """The first stamps of each set of the tiny config, drawn as one chunk."""
    out = {}
    for kind in KINDS:
        source = open_source(cfg, kind)
        images, columns = simulate.draw_chunk(0, N_SAMPLE[kind], set_labels(cfg, kind), source, kind, cfg)
        out[kind] = Sample(images, pd.DataFrame(columns), source.size)
    return out


def draw(cfg: dict, kind: str, indices, source=None):
    """Stamps `indices` one by one (any order) with a fresh source."""
    source = source or open_source(cfg, kind)
    labels = set_labels(cfg, kind)
    drawn = [simulate.draw_stamp(int(i), bool(labels[i]), source, kind, cfg) for i in indices]
    return np.stack([image for image, _ in drawn]), pd.DataFrame([meta for _, meta in drawn])


@pytest.mark.parametrize("kind", KINDS)
def test_same_config_gives_bit_identical_stamps(cfg, samples, kind):
    # a fresh catalogue (fresh galaxy cache), as a new process would have
    images, meta = simulate.draw_chunk(0, 6, set_labels(cfg, kind), open_source(cfg, kind), kind, cfg)
    assert images.dtype == np.float32
    assert np.array_equal(images, samples[kind].images[:6])
    pd.testing.assert_frame_equal(pd.DataFrame(meta), samples[kind].meta.iloc[:6], check_exact=True)


def test_another_seed_gives_other_stamps(cfg, samples):
    other = copy.deepcopy(cfg)
    other["seed"] = cfg["seed"] + 1
    images, _ = draw(other, "parametric", range(3))
    for new, old in zip(images, samples["parametric"].images[:3], strict=True):
        assert not np.array_equal(new, old)


@pytest.mark.parametrize("kind", KINDS)
def test_stamps_do_not_depend_on_the_chunking(cfg, samples, kind):
    n = 9
    labels = set_labels(cfg, kind)
    source = open_source(cfg, kind)
    for chunk_size in (2, 4):
        parts = [
            simulate.draw_chunk(start, stop, labels, source, kind, cfg)[0]
            for start, stop in splits.chunk_bounds(n, chunk_size)
        ]
        assert np.array_equal(np.concatenate(parts), samples[kind].images[:n]), chunk_size
    # one at a time, last first, from yet another fresh catalogue
    images, meta = draw(cfg, kind, range(n - 1, -1, -1))
    assert np.array_equal(images[::-1], samples[kind].images[:n])
    pd.testing.assert_frame_equal(
        meta.iloc[::-1].reset_index(drop=True), samples[kind].meta.iloc[:n], check_exact=True
    )


@pytest.mark.parametrize("kind", KINDS)
def test_blends_hold_two_galaxies_inside_the_stamp(cfg, samples, kind):
    sample = samples[kind]
    size, pad = cfg["stamp"]["size"], cfg["stamp"]["pad"]
    full = size + 2 * pad
    centre = pad + (size - 1) / 2
    images, meta = sample.images, sample.meta
    assert images.shape == (len(meta), full, full)
    assert np.array_equal(meta["label"].to_numpy(), set_labels(cfg, kind)[: len(meta)])

    # the padding is exactly zero before noise
    assert not images[:, :pad].any() and not images[:, -pad:].any()
    assert not images[:, :, :pad].any() and not images[:, :, -pad:].any()

    assert (meta["x1"] == centre).all() and (meta["y1"] == centre).all()
    assert meta["index1"].between(0, sample.size - 1).all()
    assert (meta["peak1"] > 0).all()
    if kind == "parametric":
        # (a real galaxy's image carries HST noise padding: its sum can be < 0)
        assert (meta["flux1"] > 0).all()
    # stamps are the sum of the galaxies drawn: fluxes add up
    np.testing.assert_allclose(
        images.sum(axis=(1, 2), dtype=np.float64), meta["flux1"] + meta["flux2"], rtol=1e-4
    )

    blends = meta[meta["label"] == 1]
    assert 0 < len(blends) < len(meta)
    for column in ("x2", "y2"):  # companion centre inside the 51x51 area
        assert blends[column].between(pad, pad + size - 1).all(), column
    np.testing.assert_allclose(
        blends["separation"], np.hypot(blends["x2"] - blends["x1"], blends["y2"] - blends["y1"])
    )
    assert blends["index2"].between(0, sample.size - 1).all()
    assert (blends["id2"] != -1).all()
    assert (blends["peak2"] > 0).all() and (blends["flux2"] != 0).all()
    if kind == "parametric":
        assert (blends["flux2"] > 0).all()
    # the companion's light is where the metadata says it is
    for row in blends.itertuples():
        pixel = images[row.Index, round(row.y2), round(row.x2)]
        assert pixel >= 0.5 * row.peak2, (row.Index, pixel, row.peak2)

    isolated = meta[meta["label"] == 0]
    assert isolated[["x2", "y2", "separation"]].isna().all().all()
    assert (isolated["index2"] == -1).all() and (isolated["id2"] == -1).all()
    assert (isolated["flux2"] == 0).all() and (isolated["peak2"] == 0).all()
    # one galaxy: the brightest pixel is the central galaxy's peak
    np.testing.assert_allclose(images[isolated.index].max(axis=(1, 2)), isolated["peak1"], rtol=1e-5)


def test_close_and_distant_counts(cfg, samples):
    close = cfg["stamp"]["close_separation"]
    meta = pd.concat([samples[kind].meta for kind in KINDS], ignore_index=True)
    counts = stamps.describe(meta, close)
    blends = meta["label"] == 1
    assert counts["n"] == len(meta)
    assert counts["isolated"] == int((~blends).sum())
    assert counts["close_blends"] == int((meta["separation"][blends] < close).sum())
    assert counts["distant_blends"] == int((meta["separation"][blends] >= close).sum())
    assert counts["isolated"] + counts["close_blends"] + counts["distant_blends"] == counts["n"]
    # uniform companions: ~12% of blends are closer than 10 px; both kinds occur
    assert counts["close_blends"] > 0 and counts["distant_blends"] > 0
    half = (cfg["stamp"]["size"] - 1) / 2
    assert meta["separation"].max() <= np.hypot(half, half)
    # a wider "close" threshold moves blends from distant to close, never loses any
    wider = stamps.describe(meta, 2 * close)
    assert wider["close_blends"] >= counts["close_blends"]
    assert wider["close_blends"] + wider["distant_blends"] == int(blends.sum())


@pytest.mark.parametrize("kind", KINDS)
def test_every_galaxy_passes_the_brightness_cut(cfg, samples, kind):
    floor = cfg["selection"]["min_peak_snr"] * cfg["selection"]["reference_sigma"]
    assert floor > 0
    meta = samples[kind].meta
    assert (meta["peak1"] >= floor).all()
    assert (meta.loc[meta["label"] == 1, "peak2"] >= floor).all()


def test_disabling_the_brightness_cut_keeps_faint_galaxies(cfg):
    reference = cfg["selection"]["min_peak_snr"] * cfg["selection"]["reference_sigma"]
    no_cut = make_config({"selection": {"min_peak_snr": 0}})
    assert simulate.min_peak(no_cut["selection"]) == 0
    labels = np.zeros(20, dtype=np.int8)
    images, columns = simulate.draw_chunk(
        0, 20, labels, open_source(no_cut, "realistic"), "realistic", no_cut
    )
    assert images.shape == (20, 65, 65) and np.isfinite(images).all()
    peaks = columns["peak1"]
    assert (peaks > 0).all()
    # ~40% of the real galaxies peak below 3 x 14.5 (docs/science.md, Simulation): some must be here
    assert (peaks < reference).any()


def mean_psf(cfg: dict):
    """The PSF with every random parameter at its mean."""
    return psf_model.build(psf_model.PSFDraw(cfg["atmos_fwhm_mean"], 0.0, 0.0, 0.0, 0.0), cfg)


def measured_fwhm(psf, fine_scale: float = 0.01) -> float:
    """FWHM in arcsec measured on a finely sampled drawn image."""
    return float(psf.drawImage(nx=301, ny=301, scale=fine_scale, method="no_pixel").calculateFWHM())


def stamp_psf_fwhm(meta: pd.DataFrame, cfg: dict, n: int = 10) -> np.ndarray:
    """FWHM (arcsec) of the PSFs recorded for the first n stamps, redrawn."""
    fields = ("atmos_fwhm", "atmos_g1", "atmos_g2", "optical_g1", "optical_g2")
    out = []
    for _, row in meta.head(n).iterrows():
        draw = psf_model.PSFDraw(**{f: float(row[f"psf_{f}"]) for f in fields})
        out.append(measured_fwhm(psf_model.build(draw, cfg["psf"])))
    return np.array(out)


def test_psf_fwhm_is_cfis_like_and_the_same_in_both_sets(cfg, samples):
    means = {kind: stamp_psf_fwhm(samples[kind].meta, cfg).mean() for kind in KINDS}
    for kind, mean in means.items():
        assert FWHM_RANGE[0] <= mean <= FWHM_RANGE[1], (kind, mean)
    assert abs(means["parametric"] - means["realistic"]) < FWHM_AGREEMENT, means
    assert measured_fwhm(mean_psf(cfg["psf"])) == pytest.approx(0.65, abs=0.02)


def test_psf_parameters_follow_their_distributions(cfg, samples):
    meta = pd.concat([samples[kind].meta for kind in KINDS])
    optical = np.hypot(meta["psf_optical_g1"], meta["psf_optical_g2"])
    assert (optical <= cfg["psf"]["optical_e_max"] + 1e-12).all()
    assert optical.std() > 0
    atmos = meta[["psf_atmos_g1", "psf_atmos_g2"]].to_numpy()
    assert np.abs(atmos).max() < 5 * cfg["psf"]["atmos_g_std"]
    assert atmos.std() == pytest.approx(cfg["psf"]["atmos_g_std"], rel=0.3)
    # fresh draws from the same distribution
    rng = seeds.generator(cfg["seed"], 99)
    draws = [psf_model.draw_parameters(rng, cfg["psf"]) for _ in range(200)]
    fwhm = np.array([d.atmos_fwhm for d in draws])
    assert fwhm.mean() == pytest.approx(cfg["psf"]["atmos_fwhm_mean"], abs=0.01)
    assert fwhm.std() == pytest.approx(cfg["psf"]["atmos_fwhm_std"], rel=0.25)


def test_flux_scale_is_the_same_for_both_sets(cfg, samples):
    scale = simulate.flux_scale(cfg["flux"])
    assert scale == pytest.approx((3.6 / 2.4) ** 2 * 300)
    medians = {}
    for kind in KINDS:
        meta = samples[kind].meta
        medians[kind] = meta.loc[meta["label"] == 0, "flux1"].median()
    ratio = medians["parametric"] / medians["realistic"]  # the real sample is fainter
    assert 1 / FLUX_FACTOR < ratio < FLUX_FACTOR, medians

    # parametric stamps hold the catalogue flux times the scale (less what leaves the stamp)
    source = open_source(cfg, "parametric")
    meta = samples["parametric"].meta
    isolated = meta[meta["label"] == 0]
    catalogue = np.array([source.galaxy(i).flux for i in isolated["index1"]]) * scale
    fraction = isolated["flux1"].to_numpy() / catalogue
    assert np.median(fraction) == pytest.approx(1.0, abs=0.05)
    assert (fraction < 1.01).all()


def write_chunks(directory, sample, cfg, bounds, digests=None):
    paths = []
    for number, (start, stop) in enumerate(bounds):
        attrs = stamps.stamp_attrs(cfg, "parametric", (digests or {}).get(number, "abc"))
        attrs["first_index"] = start
        columns = {k: sample.meta[k].to_numpy()[start:stop] for k in sample.meta}
        path = directory / f"chunk{number}.h5"
        stamps.write_images(path, sample.images[start:stop], columns, attrs)
        paths.append(path)
    return paths


def test_merged_chunks_give_the_set_in_order(cfg, samples, tmp_path):
    sample = samples["parametric"]
    bounds = splits.chunk_bounds(len(sample.meta), 25)
    paths = write_chunks(tmp_path, sample, cfg, bounds)
    split = np.arange(len(sample.meta)) % 3
    master = tmp_path / "noiseless.h5"
    stamps.merge_chunks(paths, master, {"split": split}, {"config_sha256": "abc"})
    merged = stamps.StampSet(master)
    assert np.array_equal(merged.images(merged.indices()), sample.images)
    pd.testing.assert_frame_equal(merged.meta.drop(columns="split"), sample.meta, check_like=True)
    assert np.array_equal(merged.meta["split"], split)
    assert not list(tmp_path.glob(".*partial*"))


def test_merge_refuses_stale_chunks(cfg, samples, tmp_path):
    sample = samples["parametric"]
    bounds = splits.chunk_bounds(len(sample.meta), 25)
    paths = write_chunks(tmp_path, sample, cfg, bounds, digests={1: "old"})
    master = tmp_path / "noiseless.h5"
    with pytest.raises(ValueError, match="another configuration"):
        stamps.merge_chunks(paths, master, {}, {"config_sha256": "abc"})
    paths = write_chunks(tmp_path, sample, cfg, bounds)
    with pytest.raises(ValueError, match="starts at stamp 25, expected 0"):
        stamps.merge_chunks(paths[1:], master, {}, {"config_sha256": "abc"})
    assert not master.exists()
    assert not list(tmp_path.glob(".*partial*"))  # nothing half-written is left


SIGMAS = (5.0, 20.0)


@pytest.fixture(scope="module")
def noisy_sets(cfg, samples, tmp_path_factory):
    """A master of the parametric sample and noisy sets made from it, as the rules do."""
    directory = tmp_path_factory.mktemp("sets")
    sample = samples["parametric"]
    master = directory / "noiseless.h5"
    columns = {k: sample.meta[k].to_numpy() for k in sample.meta}
    digest = bh_config.digest(bh_config.simulation_section(cfg, "parametric"))
    stamps.write_images(master, sample.images, columns, stamps.stamp_attrs(cfg, "parametric", digest))
    paths = {}
    for sigma in SIGMAS:
        for realisation in (0, 1):
            path = directory / f"sigma{sigma:g}" / f"real{realisation}.h5"
            path.parent.mkdir(exist_ok=True)
            stamps.write_noisy_set(path, master, sigma, realisation, cfg["seed"], {})
            paths[sigma, realisation] = path
    twin = directory / "twin" / "real0.h5"  # the same set, written again elsewhere
    twin.parent.mkdir()
    stamps.write_noisy_set(twin, master, 20.0, 0, cfg["seed"], {})
    paths["twin"] = twin
    return master, paths


def noise_of(path, master) -> np.ndarray:
    noisy = stamps.StampSet(path)
    clean = stamps.StampSet(master)
    return noisy.images(noisy.indices()).astype(np.float64) - clean.images(clean.indices())


@pytest.mark.parametrize("sigma", SIGMAS)
def test_noise_has_the_set_sigma(noisy_sets, sigma):
    master, paths = noisy_sets
    noise = noise_of(paths[sigma, 0], master)
    assert stamps.StampSet(paths[sigma, 0]).sigma == sigma
    assert noise.std() == pytest.approx(sigma, rel=0.015)
    assert abs(noise.mean()) < 5 * sigma / np.sqrt(noise.size)
    # the zero padding gets noise too (noise is added after padding)
    assert noise[:, :7].std() == pytest.approx(sigma, rel=0.05)


def test_same_set_is_identical_and_realisations_differ(noisy_sets):
    master, paths = noisy_sets
    reference = stamps.StampSet(paths[20.0, 0])
    everything = reference.indices()
    images = reference.images(everything)
    assert images.dtype == np.float32
    assert np.array_equal(images, reference.images(everything))
    twin = stamps.StampSet(paths["twin"])
    assert np.array_equal(images, twin.images(everything))

    noise = {key: noise_of(paths[key], master).ravel() for key in [(20.0, 0), (20.0, 1), (5.0, 0)]}
    # other realisation, or other sigma with the same realisation: independent noise
    assert abs(np.corrcoef(noise[20.0, 0], noise[20.0, 1])[0, 1]) < 0.02
    assert abs(np.corrcoef(noise[20.0, 0], noise[5.0, 0])[0, 1]) < 0.02


def test_noise_of_a_stamp_does_not_depend_on_how_it_is_read(noisy_sets):
    _, paths = noisy_sets
    noisy = stamps.StampSet(paths[5.0, 1])
    everything = noisy.images(noisy.indices())
    batched = np.concatenate([images for _, images in noisy.batches(noisy.indices(), 7)])
    assert np.array_equal(batched, everything)
    subset = np.array([3, 4, 5, 17, 40, 59])
    assert np.array_equal(noisy.images(subset), everything[subset])


def test_noisy_set_records_its_recipe_and_needs_its_master(noisy_sets, cfg, tmp_path):
    master, paths = noisy_sets
    attrs = stamps.StampSet(paths[20.0, 1]).attrs
    assert attrs["sigma"] == 20.0 and attrs["realisation"] == 1
    assert attrs["noise_seed"] == cfg["seed"] and attrs["seed"] == cfg["seed"]
    digest = bh_config.digest(bh_config.simulation_section(cfg, "parametric"))
    assert attrs["config_sha256"] == attrs["noiseless_config_sha256"] == digest
    assert "galsim" in json.loads(attrs["versions"])
    # a set whose master is not where its recipe says fails with a clear message
    lonely = tmp_path / "a" / "b" / "real0.h5"
    lonely.parent.mkdir(parents=True)
    lonely.write_bytes(paths[20.0, 1].read_bytes())  # its relative link now points nowhere
    with pytest.raises(FileNotFoundError, match="rebuild"):
        stamps.StampSet(lonely)


def test_real_galaxies_can_take_the_parametric_brightness(cfg, samples):
    """flux_distribution parametric: same real galaxies and positions as `own`, but fluxes
    drawn from the parametric catalogue, so the isolated fluxes match the parametric set's."""
    labels = np.zeros(N_SAMPLE["realistic"], dtype=np.int8)
    fluxes = simulate.ParametricFluxes(open_source(cfg, "parametric"))
    _, matched = simulate.draw_chunk(
        0, len(labels), labels, open_source(cfg, "realistic"), "realistic", cfg, fluxes
    )
    _, again = simulate.draw_chunk(
        0, len(labels), labels, open_source(cfg, "realistic"), "realistic", cfg, fluxes
    )
    assert np.array_equal(matched["flux1"], again["flux1"])  # seeded
    own = samples["realistic"].meta
    parametric = samples["parametric"].meta
    own_median = np.median(own.loc[own["label"] == 0, "flux1"])
    param_median = np.median(parametric.loc[parametric["label"] == 0, "flux1"])
    matched_median = np.median(matched["flux1"])
    assert abs(np.log(matched_median / param_median)) < abs(np.log(own_median / param_median))
    assert abs(np.log(matched_median / param_median)) < np.log(FLUX_FACTOR)


def test_psf_randomisation_changes_the_psf_and_keeps_the_rest(cfg, samples):
    """Labels and the recipe's draws unchanged; where the brightness cut (on the stamp's own
    PSF) keeps the same galaxies, the same positions and light, spread by another PSF; the
    draw recorded per stamp."""
    spec = bh_config.load(REPO / "config" / "config.yaml", REPO / "config" / "psf_randomisation.yaml")
    spec = spec["parametric"]["psf_randomisation"]
    randomised = bh_config.merge(cfg, {"parametric": {"psf_randomisation": spec}})
    images, meta = draw(randomised, "parametric", range(8))
    base = samples["parametric"].meta.iloc[:8].reset_index(drop=True)
    for key in ("label", "psf_atmos_fwhm", "psf_optical_g1"):
        assert np.array_equal(meta[key], base[key]), key
    same = ((meta["index1"] == base["index1"]) & (meta["index2"] == base["index2"])).to_numpy()
    assert same.sum() >= 4
    assert np.array_equal(np.nan_to_num(meta["separation"][same]), np.nan_to_num(base["separation"][same]))
    assert set(meta["psf_random_profile"]) <= {0, 1, 2}
    assert meta["psf_random_scale"].between(0.8, 1.2).all()
    ours, theirs = images[same], samples["parametric"].images[:8][same]
    # the same light, but for the wings of a wide Moffat beyond the stamp (a few per cent)
    assert np.allclose(ours.sum(axis=(1, 2)), theirs.sum(axis=(1, 2)), rtol=0.05)
    assert not np.allclose(ours, theirs, atol=1e-3 * ours.max())  # spread by another PSF
