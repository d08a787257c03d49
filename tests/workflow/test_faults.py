"""Crash consistency, proven by injecting faults at named points (tests/faults/sitecustomize.py).

A job of a real Snakemake run is stopped at a point of `io.atomic_path` (before it
writes, or with its temporary file complete but not yet renamed) and waits; the test
then signals, releases and checks:

- nothing that looks complete is left: every output present under its final name is
  byte-identical to an uninterrupted run's, and a job killed at the point left no
  output under its final name (after Ctrl-C Snakemake lets the held job finish: its
  output is then whole, and identical);
- a rerun finishes and every output is byte-identical to the uninterrupted run's.

Signals: SIGINT to Snakemake (Ctrl-C: its "Terminating processes" line is in its
log), SIGKILL of the job alone, SIGKILL of Snakemake and its jobs together (a machine
losing power). No process list is polled and nothing is retried: the hook says when
the job is in place (a file), and before signalling the test reads from
/proc/<pid>/status that the target neither ignores nor blocks the signal.

Shown to fail (run once, 2026-12-02): with `io.atomic_path` made to write in place
(yielding the final path instead of a temporary one), `[before_rename-sigkill-all]`
goes red: the power-loss case leaves the stopped job's output under its final name.
The SIGINT and job-only SIGKILL cases stay green with that mutation, since Snakemake
itself then deletes the output of the job that failed: only a crash of Snakemake too
depends on the atomic writer.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
from pathlib import Path

import pytest

from blendhunter.workflow import layout

from ..conftest import make_config, release, snakemake_command, snakemake_env, start_held_run, write_config

TARGETS = (layout.PARAMETRIC_MASTER, layout.PARAMETRIC_SET.format(sigma="5", realisation=0))


STOPPED = "chunk1.h5"  # the job held at the fault: the second of three simulation chunks


EXIT_LIMIT_S = 300


def outputs(workdir: Path) -> dict[str, str]:
    """MD5 of every stamp file under its final name (partial files left out)."""
    root = workdir / "results" / "stamps"
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.h5"))
        if ".partial" not in p.name
    }


def signal_state(pid: int, signum: int) -> tuple[bool, bool]:
    """(ignored, blocked) of a signal for a process, from /proc/<pid>/status."""
    fields = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    bit = 1 << (signum - 1)
    return bool(int(fields["SigIgn"], 16) & bit), bool(int(fields["SigBlk"], 16) & bit)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """An uninterrupted run: the reference bytes, and the config every scenario uses."""
    workdir = tmp_path_factory.mktemp("clean")
    configfile = write_config(workdir / "config.yaml", make_config())
    result = subprocess.run(
        snakemake_command(workdir, configfile, *TARGETS), capture_output=True, text=True,
        env=snakemake_env(), timeout=EXIT_LIMIT_S,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    found = outputs(workdir)
    assert any(STOPPED in name for name in found)
    return configfile, found


def resume(workdir: Path, configfile: Path) -> subprocess.CompletedProcess:
    env = snakemake_env()
    subprocess.run(
        snakemake_command(workdir, configfile, "--unlock"), capture_output=True, env=env, timeout=120
    )
    return subprocess.run(
        snakemake_command(workdir, configfile, *TARGETS), capture_output=True, text=True, env=env,
        timeout=EXIT_LIMIT_S,
    )  # fmt: skip


SCENARIOS = [
    (point, target)
    for point in ("before_write", "before_rename")
    for target in ("sigint-snakemake", "sigkill-job", "sigkill-all")
]


@pytest.mark.slow
@pytest.mark.parametrize("point, target", SCENARIOS, ids=[f"{p}-{t}" for p, t in SCENARIOS])
def test_a_fault_leaves_nothing_that_looks_complete(clean, tmp_path, point, target):
    configfile, reference = clean
    run, job, faults = start_held_run(tmp_path, configfile, TARGETS, point, STOPPED)
    try:
        signum = signal.SIGINT if target == "sigint-snakemake" else signal.SIGKILL
        victim = job if target == "sigkill-job" else run.pid
        assert signal_state(victim, signum) == (False, False), f"{target}: the signal would not land"
        if target == "sigkill-all":
            os.killpg(run.pid, signal.SIGKILL)
        else:
            os.kill(victim, signum)
        release(faults)
        run.wait(timeout=EXIT_LIMIT_S)
    finally:
        if run.poll() is None:  # a failed check: leave no run behind
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert run.returncode != 0
    if target == "sigint-snakemake":
        assert "Terminating processes on user request" in (tmp_path / "snakemake.log").read_text()

    left = outputs(tmp_path)
    kept = {name: (tmp_path / "results" / "stamps" / name).stat().st_mtime_ns for name in left}
    assert all(reference[name] == md5 for name, md5 in left.items()), "an output differs from the clean run's"
    if target != "sigint-snakemake":  # killed at the point: its output must not be there
        assert not any(STOPPED in name for name in left), f"{STOPPED} left under its final name"

    result = resume(tmp_path, configfile)
    assert result.returncode == 0, result.stderr[-3000:]
    assert outputs(tmp_path) == reference
    assert not list((tmp_path / "results").rglob("*.partial*"))
    if target == "sigkill-job":  # Snakemake went on and recorded the other chunks as done:
        for name, mtime in kept.items():  # the rerun must not redo them (after a Ctrl-C or a
            if "chunk" in name and STOPPED not in name:  # crash, jobs it was running are redone)
                path = tmp_path / "results" / "stamps" / name
                assert path.stat().st_mtime_ns == mtime, f"{name} was redone"
