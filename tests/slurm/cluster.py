"""A private single-node Slurm cluster on this machine, for tests and manual trials.

Everything lives under one directory (configuration, state, spool, logs, munge
key and socket) and uses two free TCP ports, so it neither reads nor disturbs
a site's /etc/slurm or a running munged. The daemons run in the foreground as
children of this process and are stopped by the process ids it started.

Debian's packages (`apt-get install -y slurm-wlm munge`), run as root:

    python tests/slurm/cluster.py start /tmp/bh-slurm   # prints `export SLURM_CONF=...`
    SLURM_CONF=/tmp/bh-slurm/slurm.conf sinfo
    python tests/slurm/cluster.py stop /tmp/bh-slurm

Clients find the cluster through SLURM_CONF, and through wrappers in
<root>/bin that set it: the Slurm executor plugin's job step removes every
SLURM_* variable before it calls `srun` inside a job, so a job's `srun` sees
the configuration only as a site's would (here through the wrapper, put first
on PATH; a site has /etc/slurm/slurm.conf or configless slurmd).

Settings that work in an unprivileged-kernel container (no cgroups, no
systemd): ProctrackType=proctrack/linuxproc, TaskPlugin=task/none,
AccountingStorageType=accounting_storage/none (no slurmdbd: job status comes
from `squeue`, kept MinJobAge seconds after a job ends).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "sinfo", "scontrol", "srun", "scancel")
PACKAGES = ("slurm-wlm", "munge")
PARTITION = "bhtest"
MIN_JOB_AGE = 600  # seconds finished jobs stay visible to squeue (status queries)


class SlurmUnavailable(RuntimeError):
    """Slurm cannot be started here (not root, no packages, no apt)."""


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")


def missing_programs() -> list[str]:
    return [name for name in (*DAEMONS, *CLIENTS) if _which(name) is None]


def ensure_installed(timeout: int = 900) -> None:
    """Install Debian's slurm-wlm and munge with apt-get if any program is missing."""
    if not missing_programs():
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable(f"not root and Slurm is not installed (missing {missing_programs()})")
    apt = _which("apt-get")
    if apt is None:
        raise SlurmUnavailable(f"no apt-get to install {' '.join(PACKAGES)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([apt, "update"], [apt, "install", "-y", *PACKAGES]):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        if result.returncode != 0:
            raise SlurmUnavailable(
                f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
    if missing_programs():
        raise SlurmUnavailable(f"still missing after apt-get install: {missing_programs()}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_hardware() -> dict[str, str]:
    """This node's CPUs/memory as `slurmd -C` reports them (the keys slurm.conf needs)."""
    out = subprocess.run([_which("slurmd"), "-C"], capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("NodeName="))
    fields = dict(item.split("=", 1) for item in line.split())
    fields.pop("NodeName")
    return fields


def slurm_conf(root: Path, node: str, ports: tuple[int, int], hardware: dict[str, str]) -> str:
    hw = " ".join(f"{key}={value}" for key, value in hardware.items())
    return f"""\
# Written by tests/slurm/cluster.py: a private single-node cluster.
ClusterName=bhtest
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/munge.socket
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig={root}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge={MIN_JOB_AGE}
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName={node} NodeAddr=127.0.0.1 {hw} State=UNKNOWN
PartitionName={PARTITION} Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurm:
    """munged + slurmctld + slurmd under `root`; use as a context manager."""

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()
        self.conf = self.root / "slurm.conf"
        self.node = socket.gethostname().split(".")[0]
        self.procs: dict[str, subprocess.Popen] = {}

    @property
    def env(self) -> dict[str, str]:
        """os.environ plus SLURM_CONF, and the client wrappers first on PATH."""
        path = f"{self.root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return {**os.environ, "SLURM_CONF": str(self.conf), "PATH": path}

    @property
    def pids_file(self) -> Path:
        return self.root / "run" / "pids.json"

    def _run(self, *cmd: str, check: bool = True, timeout: int = 30) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env, check=check, timeout=timeout)

    def write_config(self) -> None:
        for sub in ("munge", "state", "spool", "run", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        (self.root / "munge").chmod(0o700)
        key = self.root / "munge" / "munge.key"
        if not key.exists():
            key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        (self.root / "plugstack.conf").write_text("")
        (self.root / "bin").mkdir(exist_ok=True)
        for client in CLIENTS:
            wrapper = self.root / "bin" / client
            wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec {_which(client)} "$@"\n')
            wrapper.chmod(0o755)
        ports = (free_port(), free_port())
        self.conf.write_text(slurm_conf(self.root, self.node, ports, node_hardware()))

    def _spawn(self, name: str, *cmd: str) -> None:
        log = open(self.root / "log" / f"{name}.out", "ab")  # noqa: SIM115 (closed with the process)
        self.procs[name] = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        log.close()
        self.pids_file.write_text(json.dumps({k: p.pid for k, p in self.procs.items()}))

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.logs()}")

    def start(self, timeout: float = 90) -> LocalSlurm:
        ensure_installed()
        if os.geteuid() != 0:
            raise SlurmUnavailable("the daemons run as root (SlurmUser=root)")
        self.write_config()
        munge = self.root / "munge"
        self._spawn(
            "munged",
            _which("munged"), "--foreground", "--force",
            f"--socket={munge}/munge.socket", f"--key-file={munge}/munge.key",
            f"--pid-file={munge}/munged.pid", f"--log-file={self.root}/log/munged.log",
            f"--seed-file={munge}/munged.seed",
        )  # fmt: skip
        self._wait(lambda: (munge / "munge.socket").exists(), timeout, "munged socket")
        self._spawn("slurmctld", _which("slurmctld"), "-D", "-c", "-f", str(self.conf))
        self._wait(lambda: self._run("scontrol", "ping", check=False).returncode == 0, timeout, "slurmctld")
        self._spawn("slurmd", _which("slurmd"), "-D", "-N", self.node, "-f", str(self.conf))
        self._wait(self.node_idle, timeout, "node idle")
        return self

    def node_idle(self) -> bool:
        result = self._run("sinfo", "-h", "-N", "-o", "%T", check=False)
        return result.returncode == 0 and result.stdout.strip().rstrip("*") == "idle"

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if ready():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}:\n{self.logs()}")

    def logs(self, tail: int = 40) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*")):
            lines = path.read_text(errors="replace").splitlines()[-tail:]
            parts.append(f"--- {path.name}\n" + "\n".join(lines))
        return "\n".join(parts)

    def controller_log(self) -> str:
        path = self.root / "log" / "slurmctld.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, timeout: float = 30) -> None:
        """Cancel this cluster's jobs, then stop slurmd, slurmctld, munged by their pids."""
        pids = {name: proc.pid for name, proc in self.procs.items()}
        if not pids and self.pids_file.exists():  # started by another process (CLI)
            pids = json.loads(self.pids_file.read_text())
        if "slurmctld" in pids and _which("scancel"):
            self._run("scancel", "--full", "--user", str(os.getuid()), check=False)
        for name in reversed(DAEMONS):
            pid = pids.get(name)
            if pid is None:
                continue
            proc = self.procs.get(name)
            _terminate(name, pid, proc, timeout)
        self.procs.clear()
        if self.pids_file.exists():
            self.pids_file.unlink()

    def __enter__(self) -> LocalSlurm:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _is_daemon(pid: int, name: str) -> bool:
    """Guard against a recycled pid: the process must still be that daemon."""
    try:
        return name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _terminate(name: str, pid: int, proc: subprocess.Popen | None, timeout: float) -> None:
    if proc is None and not _is_daemon(pid, name):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            if proc.poll() is not None:
                return
        else:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    if proc is not None:
        proc.wait(timeout=10)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__)
        return 2
    cluster = LocalSlurm(argv[1])
    if argv[0] == "start":
        cluster.start()
        # The daemons were started in their own sessions: they outlive this process.
        print(f"export SLURM_CONF={cluster.conf} PATH={cluster.root / 'bin'}:$PATH")
    else:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
