"""The workflow on a real Slurm: `snakemake --profile profiles/slurm`.

A private single-node cluster (tests/slurm/cluster.py: munged, slurmctld and
slurmd of Debian's slurm-wlm, installed with apt-get if missing) runs the
tiny config's simulation of one noisy set: the catalogue check, every chunk,
the merge and the set, each a Slurm job. The test checks that every job went
through Slurm (ids in Snakemake's log, in slurmctld's log, one Slurm log file
each), that each job got its rule's cores, memory and time limit, and that
the outputs equal, bit for bit, those of a local run.

It needs root (the daemons run as SlurmUser=root). Elsewhere it is skipped,
except under CI (`CI` or `BH_REQUIRE_SLURM` set), where not running is a
failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

from blendhunter.simulation import stamps
from blendhunter.workflow import config as bh_config
from blendhunter.workflow import layout

from ..conftest import REPO, make_config, run_snakemake, snakemake_command, snakemake_env, write_config
from ..slurm.cluster import PARTITION, LocalSlurm, SlurmUnavailable, ensure_installed

pytestmark = pytest.mark.slow


SET = {"sigma": "5", "realisation": 0}


TARGET = layout.PARAMETRIC_SET.format(**SET)


# Every job the target needs in a fresh directory, and the rule of each.
JOBS = {"catalogue": 1, "simulate_parametric_chunk": 3, "merge_parametric": 1, "parametric_set": 1}


SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (\S+?)\)\.?$", re.M)


def cannot_run(reason: str):
    if os.environ.get("CI") or os.environ.get("BH_REQUIRE_SLURM"):
        pytest.fail(f"the Slurm test must run under CI but cannot: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster():
    if os.geteuid() != 0:
        cannot_run("needs root to start slurmctld/slurmd (SlurmUser=root)")
    try:
        ensure_installed()
    except SlurmUnavailable as err:
        cannot_run(str(err))
    root = Path(tempfile.mkdtemp(prefix="bh-slurm-", dir="/tmp"))  # short: munge socket path
    slurm = LocalSlurm(root)
    try:
        slurm.start()
        yield slurm
    finally:
        slurm.stop()
        shutil.rmtree(root, ignore_errors=True)


def slurm_test_config() -> dict:
    overrides = {}
    if "slurm" in bh_config.schema()["properties"]:  # partition through the workflow config
        overrides = {"slurm": {"partition": PARTITION}}
    return make_config(overrides)


def h5_contents(path: Path) -> dict:
    """Every dataset (array) and attribute of an HDF5 file, by name."""
    found = {}
    with h5py.File(path, "r") as handle:
        found["/attrs"] = dict(handle.attrs)

        def visit(name, obj):
            found[f"{name}/attrs"] = dict(obj.attrs)
            if isinstance(obj, h5py.Dataset):
                found[name] = obj[()]

        handle.visititems(visit)
    return found


def assert_same_h5(a: Path, b: Path) -> None:
    left, right = h5_contents(a), h5_contents(b)
    assert left.keys() == right.keys(), a
    for key, value in left.items():
        other = right[key]
        if isinstance(value, dict):
            assert value.keys() == other.keys(), f"{a}:{key}"
            for attr in value:
                assert np.array_equal(np.asarray(value[attr]), np.asarray(other[attr])), f"{a}:{key}:{attr}"
        elif value.dtype.kind in "fc":
            assert value.dtype == other.dtype and value.tobytes() == other.tobytes(), f"{a}:{key}"
        else:
            assert np.array_equal(value, other), f"{a}:{key}"


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same target built locally and through Slurm, each in its own directory."""
    cfg = slurm_test_config()
    local = tmp_path_factory.mktemp("local")
    run_snakemake(local, write_config(local / "config.yaml", cfg), TARGET)

    remote = tmp_path_factory.mktemp("slurm")
    configfile = write_config(remote / "config.yaml", cfg)
    cmd = snakemake_command(
        remote,
        configfile,
        "--profile", str(REPO / "profiles" / "slurm"),
        "--jobs", "4",
        "--slurm-init-seconds-before-status-checks", "2",
        "--slurm-keep-successful-logs",
        "--slurm-no-account",  # no slurmdbd: no accounts to check
        "--latency-wait", "5",
        TARGET,
    )  # fmt: skip
    start = time.monotonic()
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=900, cwd=remote, env={**snakemake_env(), **cluster.env}
    )
    elapsed = time.monotonic() - start
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{output}\n{cluster.logs()}"
    return {"local": local, "slurm": remote, "cfg": cfg, "output": output, "elapsed": elapsed}


def submitted(runs) -> list[tuple[int, int, Path]]:
    return [(int(j), int(s), Path(log)) for j, s, log in SUBMITTED.findall(runs["output"])]


@pytest.mark.slurm
def test_every_job_went_through_slurm(runs, cluster):
    jobs = submitted(runs)
    assert len(jobs) == sum(JOBS.values()), runs["output"]
    slurm_ids = {s for _, s, _ in jobs}
    assert len(slurm_ids) == len(jobs)
    controller = cluster.controller_log()
    for slurm_id, log in ((s, log) for _, s, log in jobs):
        assert re.search(rf"_slurm_rpc_submit_batch_job: JobId={slurm_id}\b", controller), slurm_id
        assert re.search(rf"_job_complete: JobId={slurm_id} done", controller), slurm_id
        assert log.exists() and log.stem == str(slurm_id), log
        assert log.is_relative_to(runs["slurm"] / ".snakemake" / "slurm_logs")
    rules = [log.relative_to(runs["slurm"] / ".snakemake" / "slurm_logs").parts[0] for _, _, log in jobs]
    rules = [r.removeprefix("rule_") for r in rules]
    assert {r: rules.count(r) for r in JOBS} == JOBS
    # squeue (the profile's status command) still knows them, all completed
    states = subprocess.run(
        ["squeue", "--states=all", "--noheader", "--format=%i|%T"],
        capture_output=True,
        text=True,
        env=cluster.env,
        check=True,
    ).stdout
    seen = dict(line.split("|") for line in states.split())
    assert {seen.get(str(s)) for s in slurm_ids} == {"COMPLETED"}, states


@pytest.mark.slurm
def test_jobs_got_their_rule_resources(runs, cluster):
    """Cores, memory and time limit of each Slurm job are its rule's resources."""
    cfg = runs["cfg"]
    expected = {
        "simulate_parametric_chunk": (
            cfg["compute"]["threads_simulate"],
            layout.mem_simulate(cfg, "parametric"),
            layout.runtime_minutes(cfg["parametric"]["chunk_size"], per_second=20),
        ),
        "merge_parametric": (
            1,
            layout.mem_merge(cfg, "parametric"),
            layout.runtime_minutes(cfg["parametric"]["n_stamps"], per_second=2000),
        ),
    }
    checked = 0
    for _, slurm_id, log in submitted(runs):
        rule = log.relative_to(runs["slurm"] / ".snakemake" / "slurm_logs").parts[0].removeprefix("rule_")
        if rule not in expected:
            continue
        info = subprocess.run(
            ["scontrol", "show", "job", str(slurm_id)], capture_output=True, text=True, env=cluster.env
        ).stdout
        fields = dict(item.split("=", 1) for item in info.split() if "=" in item)
        cpus, mem_mb, minutes = expected[rule]
        assert int(fields["NumCPUs"]) == cpus, info
        assert fields["MinMemoryNode"] in (f"{mem_mb}M", f"{mem_mb / 1024:g}G"), info
        assert fields["TimeLimit"] == f"{minutes // 60:02d}:{minutes % 60:02d}:00", info
        assert fields["Partition"] == PARTITION, info
        checked += 1
    assert checked == 4


@pytest.mark.slurm
def test_outputs_equal_local_run(runs):
    cfg = runs["cfg"]
    files = [layout.PARAMETRIC_CHUNK.format(chunk=c) for c in range(layout.n_chunks(cfg, "parametric"))]
    files += [layout.PARAMETRIC_MASTER, TARGET]
    for name in files:
        assert_same_h5(runs["local"] / name, runs["slurm"] / name)
    # the noisy images themselves (drawn from the set's noise recipe)
    local, remote = stamps.StampSet(runs["local"] / TARGET), stamps.StampSet(runs["slurm"] / TARGET)
    indices = np.arange(len(local.meta))
    for (ia, a), (ib, b) in zip(local.batches(indices, 64), remote.batches(indices, 64), strict=True):
        assert np.array_equal(ia, ib) and a.tobytes() == b.tobytes()
    print(f"\nSlurm run of {sum(JOBS.values())} jobs: {runs['elapsed']:.0f} s")


JOB = re.compile(r"^(?:local)?rule (\w+):$")


FEATURE_RULES = {"parametric_features", "realistic_features", "shifted_features"}  # threads_tensorflow: 2
TF_RULES = {*FEATURE_RULES, "train_head", "learning_curve_point"}


def planned_resources(workdir: Path, cfg: dict) -> dict[str, dict[str, str]]:
    """rule -> resources (and threads) of its first job, from a dry run from nothing."""
    result = run_snakemake(workdir, write_config(workdir / "config.yaml", cfg), "--dry-run")
    found, rule = {}, None
    for line in (result.stdout + result.stderr).splitlines():
        match = JOB.match(line)
        if match:
            rule = match.group(1)
            found.setdefault(rule, {"threads": "1"})
        elif rule and line.strip().startswith("threads:"):
            found[rule]["threads"] = line.split(":", 1)[1].strip()
        elif rule and line.strip().startswith("resources:"):
            items = line.split(":", 1)[1].split(", ")
            found[rule].update(dict(item.split("=", 1) for item in items))
            rule = None
    return found


def test_every_compute_rule_asks_for_cores_memory_and_time(tmp_path):
    configs = {
        "tiny": make_config(),
        "paper": make_config(yaml.safe_load((REPO / "config" / "paper.yaml").read_text())),
        "gpu": make_config({"compute": {"gpu": 1}}),
    }
    for name in configs:
        (tmp_path / name).mkdir()
    small, large, with_gpu = (planned_resources(tmp_path / name, cfg) for name, cfg in configs.items())
    compute = set(small) - {"all", "benchmark_rollup"}
    assert {"simulate_parametric_chunk", "train_head", "sep_parametric", "figure_noise"} <= compute
    for rule in compute:
        assert int(small[rule]["mem_mb"]) >= 500 and int(small[rule]["runtime"]) >= 1, rule
    assert {rule for rule in compute if int(small[rule]["threads"]) > 1} == FEATURE_RULES
    # scaled with the set size
    for rule in ("parametric_features", "train_head", "merge_parametric", "simulate_parametric_chunk"):
        assert int(large[rule]["mem_mb"]) > int(small[rule]["mem_mb"]), rule
    for rule in ("parametric_features", "realistic_features", "train_head"):
        assert int(large[rule]["runtime"]) > int(small[rule]["runtime"]), rule
    # a GPU only where TensorFlow runs, only when configured
    assert {rule for rule, res in with_gpu.items() if res.get("gpu") == "1"} == TF_RULES
    assert not any("gpu" in res for res in small.values())
