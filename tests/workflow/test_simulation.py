"""Real Snakemake runs of the simulation rules on the tiny config.

One full run (every parametric set and the realistic set) is shared by the
module; a second run builds one set alone in another directory and must give the
same arrays. Interrupted runs: tests/test_faults.py.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from blendhunter.simulation import seeds, simulate, splits, stamps
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import layout

from ..conftest import (
    REPO,
    SHARED,
    make_config,
    release,
    run_snakemake,
    snakemake_command,
    snakemake_env,
    start_held_run,
    write_config,
)

pytestmark = pytest.mark.slow


ONE_SET = {"sigma": "20", "realisation": 1}  # the set rebuilt alone


PARTIAL = re.compile(r"^\.(chunk\d+|noiseless|real\d+|stamps)\.partial-\d+\.h5$")


def set_path(sigma, realisation) -> str:
    return layout.PARAMETRIC_SET.format(sigma=layout.sigma_label(sigma), realisation=realisation)


def chunk_paths(cfg: dict, kind: str) -> list[str]:
    pattern = layout.PARAMETRIC_CHUNK if kind == "parametric" else layout.REALISTIC_CHUNK
    return [pattern.format(chunk=i) for i in range(layout.n_chunks(cfg, kind))]


def simulation_targets(cfg: dict) -> list[str]:
    sets = [set_path(s, r) for s in cfg["parametric"]["sigmas"] for r in layout.realisations(cfg)]
    return [*sets, layout.REALISTIC_SET]


def stray_files(workdir: Path) -> list[str]:
    """Files under results/stamps that are neither an output nor a marked partial."""
    cfg = make_config()
    outputs = set(simulation_targets(cfg))
    outputs |= {layout.PARAMETRIC_MASTER, layout.REALISTIC_MASTER}
    outputs |= set(chunk_paths(cfg, "parametric")) | set(chunk_paths(cfg, "realistic"))
    found = [p for p in (workdir / "results" / "stamps").rglob("*") if p.is_file()]
    return [str(p) for p in found if str(p.relative_to(workdir)) not in outputs and not PARTIAL.match(p.name)]


def partial_files(workdir: Path) -> list[Path]:
    return [p for p in workdir.rglob("*.partial*") if p.is_file()]


@pytest.fixture(scope="module")
def cfg() -> dict:
    return make_config()


@pytest.fixture(scope="module")
def full_run(cfg, tmp_path_factory) -> Path:
    """Every simulation output of the tiny config, one snakemake run."""
    workdir = tmp_path_factory.mktemp("full")
    configfile = write_config(workdir / "config.yaml", cfg)
    run_snakemake(workdir, configfile, *simulation_targets(cfg))
    return workdir


def test_full_run_writes_valid_parametric_sets(cfg, full_run):
    n = cfg["parametric"]["n_stamps"]
    digest = bh_config.digest(bh_config.simulation_section(cfg, "parametric"))
    for sigma in cfg["parametric"]["sigmas"]:
        for realisation in layout.realisations(cfg):
            path = full_run / set_path(sigma, realisation)
            noisy = stamps.StampSet(path)
            attrs = noisy.attrs
            assert attrs["kind"] == "parametric"
            assert noisy.sigma == float(sigma) and attrs["realisation"] == realisation
            assert attrs["seed"] == cfg["seed"] and attrs["noise_seed"] == cfg["seed"]
            assert attrs["pixel_scale"] == cfg["stamp"]["pixel_scale"]
            assert json.loads(attrs["psf"]) == cfg["psf"]
            assert json.loads(attrs["flux"]) == cfg["flux"]
            assert json.loads(attrs["selection"]) == cfg["selection"]
            assert {"galsim", "numpy", "h5py"} <= set(json.loads(attrs["versions"]))
            assert attrs["config_sha256"] == digest
            assert len(noisy) == n
            images = noisy.images(noisy.indices())
            assert images.shape == (n, 65, 65) and images.dtype == np.float32
            assert np.isfinite(images).all()
            assert noisy.labels.sum() == round(n * cfg["parametric"]["blend_fraction"])
            for name, fraction in cfg["parametric"]["split"].items():
                assert abs(len(noisy.indices(name)) - n * fraction) <= 2, name
    assert not partial_files(full_run)
    assert not stray_files(full_run)


def test_full_run_writes_a_valid_realistic_set(cfg, full_run):
    n = cfg["realistic"]["n_stamps"]
    noisy = stamps.StampSet(full_run / layout.REALISTIC_SET)
    attrs = noisy.attrs
    assert attrs["kind"] == "realistic"
    assert noisy.sigma == cfg["realistic"]["sigma"] and attrs["realisation"] == 0
    assert attrs["noise_seed"] == seeds.integer_seed(cfg["seed"], seeds.REALISTIC)
    assert attrs["config_sha256"] == bh_config.digest(bh_config.simulation_section(cfg, "realistic"))
    assert json.loads(attrs["psf"]) == cfg["psf"]  # the same PSF model as the training sets
    assert len(noisy) == n
    assert len(noisy.indices("test")) == n  # the realistic set is all test
    assert noisy.labels.sum() == round(n * cfg["realistic"]["blend_fraction"])
    noise = noisy.images(noisy.indices()) - stamps.StampSet(full_run / layout.REALISTIC_MASTER).images(
        noisy.indices()
    )
    assert noise.std() == pytest.approx(cfg["realistic"]["sigma"], rel=0.02)


@pytest.mark.parametrize("kind", ["parametric", "realistic"])
def test_workflow_stamps_are_the_package_stamps(cfg, full_run, kind):
    """Chunks merged in order; each stamp what the package API draws for its index."""
    master = stamps.StampSet(
        full_run / (layout.PARAMETRIC_MASTER if kind == "parametric" else layout.REALISTIC_MASTER)
    )
    everything = master.images(master.indices())
    chunks = [stamps.StampSet(full_run / p) for p in chunk_paths(cfg, kind)]
    assert np.array_equal(np.concatenate([c.images(c.indices()) for c in chunks]), everything)
    assert [c.attrs["first_index"] for c in chunks] == [
        a for a, _ in splits.chunk_bounds(cfg[kind]["n_stamps"], cfg[kind]["chunk_size"])
    ]

    entry = cfg["resources"]["cosmos_parametric" if kind == "parametric" else "cosmos_real"]
    gal_type = "parametric" if kind == "parametric" else "real"
    source = simulate.GalaxySource(entry["path"], entry["file_name"], gal_type, seed=cfg["seed"])
    n = cfg[kind]["n_stamps"]
    for index in (n - 1, cfg[kind]["chunk_size"] + 1, 0):  # last chunk first, other process
        image, meta = simulate.draw_stamp(index, bool(master.labels[index]), source, kind, cfg)
        assert np.array_equal(image, everything[index]), index
        for key, value in meta.items():
            np.testing.assert_equal(master.meta[key][index], value, err_msg=f"{key} of {index}")

    # the brightness cut holds for every galaxy of the set
    floor = simulate.min_peak(cfg["selection"])
    assert floor > 0 and (master.meta["peak1"] >= floor).all()
    assert (master.meta.loc[master.labels == 1, "peak2"] >= floor).all()


def test_merge_logs_the_close_and_distant_counts(cfg, full_run):
    close = cfg["stamp"]["close_separation"]
    total = {"close_blends": 0, "distant_blends": 0}
    for kind, master in (("parametric", layout.PARAMETRIC_MASTER), ("realistic", layout.REALISTIC_MASTER)):
        meta = stamps.read_meta(full_run / master)
        counts = stamps.describe(meta, close)
        log = (full_run / f"results/logs/simulate/merge_{kind}.log").read_text()
        assert f"{kind} set: {counts}" in log
        blends = meta["label"] == 1
        assert counts["close_blends"] + counts["distant_blends"] == blends.sum()
        assert counts["close_blends"] == (meta["separation"][blends] < close).sum()
        for key in total:
            total[key] += counts[key]
        if kind == "parametric":
            assert f"splits: {stamps.split_name_counts(meta)}" in log
    assert total["close_blends"] > 0 and total["distant_blends"] > 0


def test_set_noise_matches_sigma_and_realisations_differ(cfg, full_run):
    clean = stamps.StampSet(full_run / layout.PARAMETRIC_MASTER)
    base = clean.images(clean.indices()).astype(np.float64)
    noise = {}
    for sigma in cfg["parametric"]["sigmas"]:
        for realisation in layout.realisations(cfg):
            noisy = stamps.StampSet(full_run / set_path(sigma, realisation))
            first = noisy.images(noisy.indices())
            assert np.array_equal(first, noisy.images(noisy.indices()))  # read twice: same
            noise[sigma, realisation] = first - base
            assert noise[sigma, realisation].std() == pytest.approx(sigma, rel=0.02)
    keys = list(noise)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            corr = np.corrcoef(noise[a].ravel(), noise[b].ravel())[0, 1]
            assert abs(corr) < 0.02, (a, b, corr)


@pytest.fixture(scope="module")
def one_set_alone(cfg, tmp_path_factory) -> Path:
    """One set built alone, in its own directory: only what it needs runs."""
    workdir = tmp_path_factory.mktemp("alone")
    configfile = write_config(workdir / "config.yaml", cfg)
    run_snakemake(workdir, configfile, set_path(**ONE_SET))
    made = sorted(p.name for p in (workdir / "results/stamps/parametric").glob("sigma*/*.h5"))
    assert made == [f"real{ONE_SET['realisation']}.h5"]
    assert not partial_files(workdir)
    return workdir


def test_one_set_rebuilt_alone_equals_the_full_run(one_set_alone, full_run):
    target = set_path(**ONE_SET)
    alone = stamps.StampSet(one_set_alone / target)
    full = stamps.StampSet(full_run / target)
    assert np.array_equal(alone.images(alone.indices()), full.images(full.indices()))
    pd.testing.assert_frame_equal(alone.meta, full.meta, check_exact=True)
    for key in ("sigma", "realisation", "noise_seed", "seed", "config_sha256"):
        assert alone.attrs[key] == full.attrs[key], key


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"parametric": {"sigmas": [5, -20]}}, "parametric.sigmas.1"),
        ({"stamps": {"size": 51}}, "'stamps'"),
        ({"resources": {"cosmos_real": {"path": "/nonexistent/cosmos_btk"}}}, "resources.cosmos_real.path"),
    ],
    ids=["negative-sigma", "unknown-key", "missing-catalogue-directory"],
)
def test_bad_config_fails_before_any_job(tmp_path, override, named):
    cfg = bh_config.merge(make_config(), override)  # not validated: written as a user would
    configfile = write_config(tmp_path / "config.yaml", cfg)
    result = run_snakemake(tmp_path, configfile, "-n", *simulation_targets(make_config()), check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert named in output, output
    assert not (tmp_path / "results").exists()
    assert "Job stats" not in output


def test_default_config_plans_a_set_per_sigma_and_realisation(tmp_path):
    """`snakemake -n` with config/config.yaml + config/offline.yaml, as a user runs it."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    (tmp_path / "shared").symlink_to(SHARED)  # offline.yaml's ../shared, from this workdir
    configfiles = [REPO / "config" / "config.yaml", REPO / "config" / "offline.yaml"]
    result = subprocess.run(
        snakemake_command(workdir, configfiles, "-n"),
        capture_output=True,
        text=True,
        env=snakemake_env(),
        cwd=workdir,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    planned = re.findall(r"rule parametric_set:\n(?:    .*\n)*?    output: (\S+)", output)
    cfg = bh_config.load(*configfiles)
    expected = {set_path(s, r) for s in cfg["parametric"]["sigmas"] for r in layout.realisations(cfg)}
    assert len(expected) == len(cfg["parametric"]["sigmas"]) * cfg["parametric"]["realisations"]
    assert sorted(planned) == sorted(expected)
    assert "rule realistic_set:" in output
    assert not (workdir / "results").exists()


def test_a_second_run_in_the_same_directory_is_refused(cfg, tmp_path):
    """While one run holds the directory (a job of it held at a fault point, so it is
    running by construction), a second `snakemake` there is refused with the lock message and
    the first run then finishes with complete outputs."""
    configfile = write_config(tmp_path / "config.yaml", cfg)
    target = set_path(**ONE_SET)
    first, _, faults = start_held_run(tmp_path, configfile, [target], "before_write", "chunk1.h5", cores=1)
    try:
        second = run_snakemake(tmp_path, configfile, target, check=False)
        release(faults)
        assert first.wait(timeout=600) == 0, (tmp_path / "snakemake.log").read_text()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    said = second.stdout + second.stderr
    assert second.returncode != 0, said
    assert "cannot be locked" in said or "LockException" in said, said
    stamp_set = stamps.StampSet(tmp_path / target)
    assert len(stamp_set.images(stamp_set.indices())) == cfg["parametric"]["n_stamps"]
    assert not partial_files(tmp_path)
