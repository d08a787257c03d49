"""The crash sweep: the tiny campaign killed (SIGKILL of Snakemake and its jobs, a power
loss) once at each of POINTS across its rules, resumed each time, and every final
output compared with an uninterrupted run's, byte for byte.

    python tests/faults/sweep.py OUT_DIR        # writes OUT_DIR/sweep.json (minutes)

One directory is killed and resumed again and again: each resume targets the next
point's output (forced) and is killed when that job is held, so the kills land in DAG
order; the last resume finishes the campaign. After every kill: no output under its
final name differs from the clean run's, and the killed job's output is absent.
Compared: stamps, features, SEP labels, predictions, metrics and tables (heads,
figures, logs and benchmarks carry times).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.conftest import (  # noqa: E402
    make_config,
    release,
    snakemake_command,
    snakemake_env,
    start_held_run,
    write_config,
)

# (point, the held job's output): one job of each kind, in DAG order. Each is the target
# of its own resumed run with --force, so the kill lands there even where the job had
# already finished in an earlier resume (Snakemake removes the old output first).
POINTS = [
    ("before_rename", "results/stamps/parametric/chunks/chunk1.h5"),
    ("before_write", "results/stamps/parametric/noiseless.h5"),
    ("before_rename", "results/stamps/parametric/sigma5/real1.h5"),
    ("before_rename", "results/stamps/realistic/stamps.h5"),
    ("before_rename", "results/sep/realistic.csv"),
    ("before_rename", "results/features/parametric/sigma20/real0.h5"),
    ("before_write", "results/features/realistic.h5"),
    ("before_rename", "results/models/sigma5/real0/head.keras"),
    ("before_rename", "results/predictions/realistic/sigma20/real1.csv"),
    ("before_rename", "results/metrics/sigma5/real0.csv"),
    ("before_rename", "results/tables/sep_comparison.csv"),
    ("before_rename", "results/tables/per_sigma_summary.csv"),
]
COMPARED = ("stamps", "features", "sep", "predictions", "metrics", "tables", "summary")
LIMIT_S = 1800


def digests(workdir: Path) -> dict[str, str]:
    root = workdir / "results"
    return {
        str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest()
        for part in COMPARED
        for p in sorted((root / part).rglob("*"))
        if p.is_file() and ".partial" not in p.name
    }


def unlock(workdir: Path, configfile: Path) -> None:
    command = snakemake_command(workdir, configfile, "--unlock")
    subprocess.run(command, capture_output=True, env=snakemake_env(), timeout=300, check=True)


def run(workdir: Path, configfile: Path) -> None:
    env = snakemake_env()
    unlock(workdir, configfile)
    result = subprocess.run(snakemake_command(workdir, configfile), capture_output=True, text=True, env=env,
                            timeout=LIMIT_S)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"run failed in {workdir}:\n{result.stderr[-3000:]}")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    cfg = make_config()
    start = time.monotonic()
    clean = out / "clean"
    clean.mkdir(exist_ok=True)
    run(clean, write_config(clean / "config.yaml", cfg))
    reference = digests(clean)
    crashed = out / "crashed"
    crashed.mkdir(exist_ok=True)
    configfile = write_config(crashed / "config.yaml", cfg)
    kills, findings = 0, []
    for k, (point, match) in enumerate(POINTS):
        step = crashed / f"step{k}"
        step.mkdir()
        unlock(crashed, configfile)  # what a user does after a power loss
        # each held run uses its own fault folder; the workdir is the same
        proc, job, faults = start_held_run(crashed, configfile, ["--force", match], point, match)
        os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and its jobs: a power loss
        proc.wait(timeout=120)
        kills += 1
        release(faults)
        faults.rename(step / "faults")
        left = digests(crashed)
        differing = sorted(n for n, d in left.items() if reference.get(n) != d)
        killed_left = sorted(n for n in left if match.endswith(n))
        findings.append(
            {"point": point, "output": match, "differing": differing, "killed_output_left": killed_left}
        )
        print(f"kill {k + 1} at {point} of {match}: {len(differing)} differing, left: {killed_left}")
    run(crashed, configfile)
    final = digests(crashed)
    mismatches = sorted(n for n in reference if final.get(n) != reference[n])
    summary = {
        "points": len(POINTS),
        "kills": kills,
        "mismatches_after_kills": sum(len(f["differing"]) + len(f["killed_output_left"]) for f in findings),
        "final_mismatches": mismatches,
        "outputs_compared": len(reference),
        "minutes": round((time.monotonic() - start) / 60, 1),
        "findings": findings,
    }
    (out / "sweep.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "findings"}, indent=2))
    return 0 if not mismatches and not summary["mismatches_after_kills"] else 1


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
