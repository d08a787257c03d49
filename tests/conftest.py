"""Shared helpers: the repository's paths, test configs, real Snakemake runs."""

from __future__ import annotations

import copy
import errno
import os
import select
import signal
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from blendhunter.workflow import config as bh_config

from .helpers import Handler

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
# A slow test (a real Snakemake run or scheduler) fails after this many seconds instead of
# hanging CI; fast ones after pyproject's `timeout`. Measured: the slowest took ~4 min.
SLOW_TIMEOUT_S = 1800


# A shell that starts the tests in the background leaves SIGINT ignored, and an ignored
# signal stays ignored across exec: Snakemake under test would never see Ctrl-C (the fault
# tests' /proc check says so). A handler, unlike SIG_IGN, is reset to the default on exec.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT_S))


def offline_resources() -> dict:
    """config/offline.yaml with absolute paths, so any working directory works."""
    offline = yaml.safe_load((REPO / "config" / "offline.yaml").read_text())["resources"]
    offline["vgg16_weights"] = str((REPO / offline["vgg16_weights"]).resolve())
    for key in ("cosmos_parametric", "cosmos_real"):
        offline[key]["path"] = str((REPO / offline[key]["path"]).resolve())
    return offline


def make_config(*overrides: dict) -> dict:
    """config/config.yaml + tests/configs/tiny.yaml + offline resources + overrides."""
    cfg = bh_config.load(REPO / "config" / "config.yaml", REPO / "tests" / "configs" / "tiny.yaml")
    for override in ({"resources": offline_resources()}, *overrides):
        cfg = bh_config.merge(cfg, override)
    bh_config.validate(cfg)
    return cfg


def write_config(path: Path, cfg: dict) -> Path:
    path.write_text(yaml.safe_dump(copy.deepcopy(cfg), sort_keys=False))
    return path


def run_snakemake(workdir: Path, configfile: Path, *args: str, check: bool = True, timeout: int = 1200):
    """A real `snakemake` run of the repository's workflow in `workdir`."""
    cmd = snakemake_command(workdir, configfile, *args)
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=snakemake_env(), cwd=workdir
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def tiny_config() -> dict:
    return make_config()


def snakemake_env() -> dict:
    """The environment `run_snakemake` gives Snakemake (for Popen-started runs)."""
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def snakemake_command(workdir: Path, configfiles, *args: str, cores: int = 2) -> list[str]:
    """The command line of `run_snakemake`, with one or several config files."""
    if isinstance(configfiles, (str, Path)):
        configfiles = [configfiles]
    return [
        SNAKEMAKE,
        "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir),
        "--configfile", *map(str, configfiles),
        "--cores", str(cores),
        *args,
    ]  # fmt: skip


# --- a run held at a fault point (tests/faults/sitecustomize.py) ---------------------------

FAULTS = REPO / "tests" / "faults"
READY_LIMIT_S = 300


def start_held_run(workdir: Path, configfile: Path, targets, point: str, match: str, cores: int = 2):
    """Start `snakemake targets` whose job writing an output matching `match` stops at
    `point` ("before_write", "before_rename") until `release(faults)`. Returns (the
    Snakemake process, in its own process group; the held job's pid; the fault folder)
    once the job is held. Events, not polling: the job writes its pid into a FIFO whose
    read end this process holds open, so it wakes the moment the job is held."""
    faults = workdir / "faults"
    faults.mkdir()
    os.mkfifo(faults / "ready")
    os.mkfifo(faults / "release")
    ready = os.open(faults / "ready", os.O_RDONLY | os.O_NONBLOCK)
    env = {
        **snakemake_env(),
        "PYTHONPATH": f"{FAULTS}{os.pathsep}{snakemake_env()['PYTHONPATH']}",
        "BH_FAULT_POINT": point,
        "BH_FAULT_MATCH": match,
        "BH_FAULT_DIR": str(faults),
    }
    log = workdir / "snakemake.log"
    with log.open("w") as output:
        run = subprocess.Popen(
            snakemake_command(workdir, configfile, *targets, cores=cores), stdout=output,
            stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + READY_LIMIT_S
        pid = b""
        while not pid:
            # wakes when the job writes; the timeout only lets a run that ended be noticed
            readable, _, _ = select.select([ready], [], [], 1.0)
            if readable:
                pid = os.read(ready, 32)
            elif run.poll() is not None or time.monotonic() > deadline:
                if run.poll() is None:
                    os.killpg(run.pid, 9)
                raise AssertionError(f"no job reached {point} of {match}:\n{log.read_text()[-3000:]}")
    finally:
        os.close(ready)
    return run, int(pid), faults


def release(faults: Path) -> None:
    """Let the held job go on (nothing to do if it was killed: no reader, ENXIO)."""
    try:
        end = os.open(faults / "release", os.O_WRONLY | os.O_NONBLOCK)
    except OSError as err:
        if err.errno != errno.ENXIO:
            raise
        return
    os.write(end, b"go")
    os.close(end)


# --- a local HTTP server for the download tests ----------------------------------------------


@pytest.fixture
def server():
    """A real HTTP server on the loopback address (tests/helpers.py: Handler)."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.cuts, httpd.requests, httpd.ignore_range = {}, {}, [], False
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
