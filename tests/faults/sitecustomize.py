"""Test-only fault injection: stop a job at a named point and wait for the test.

Put this folder first on PYTHONPATH (tests/workflow/test_faults.py does) and set
BH_FAULT_POINT to one of POINTS, BH_FAULT_MATCH to a substring of the output path
to stop at, and BH_FAULT_DIR to a folder the test watches. The first process that
reaches the point writes its pid into the FIFO BH_FAULT_DIR/ready, then blocks until
the test writes into the FIFO BH_FAULT_DIR/release (tests/conftest.py: start_held_run,
release): events, not polling; later processes (the resumed run) pass through, since
BH_FAULT_DIR/fired marks the fault as spent. Without BH_FAULT_POINT nothing is
patched: production code carries no test hook.

Points, around `blendhunter.io.atomic_path` (every output the workflow writes):
- before_write: the job is about to write its output;
- before_rename: the temporary file is complete, the rename into place not done.
"""

import contextlib
import importlib.abc
import importlib.util
import os
import select
import sys
from pathlib import Path

POINTS = ("before_write", "before_rename")
WAIT_LIMIT_S = 600  # a forgotten release cannot hang a job for ever


def _armed(point: str, path) -> bool:
    folder = Path(os.environ["BH_FAULT_DIR"])
    if os.environ.get("BH_FAULT_POINT") != point or os.environ.get("BH_FAULT_MATCH", "") not in str(path):
        return False
    try:
        (folder / "fired").open("x").close()  # only the first process to get here stops
    except FileExistsError:
        return False
    return True


def _hold() -> None:
    """Say "held" (pid into the ready FIFO), then block until the test releases.

    The release FIFO is opened (non-blocking) before saying so: the test's write can
    never come before there is a reader to receive it."""
    folder = Path(os.environ["BH_FAULT_DIR"])
    release = os.open(folder / "release", os.O_RDONLY | os.O_NONBLOCK)
    with open(folder / "ready", "w") as ready:  # the test holds the read end open
        ready.write(str(os.getpid()))
    select.select([release], [], [], WAIT_LIMIT_S)
    os.close(release)


def _patch(io_module) -> None:
    original = io_module.atomic_path

    @contextlib.contextmanager
    def atomic_path(path, *args, **kwargs):
        if _armed("before_write", path):
            _hold()
        with original(path, *args, **kwargs) as tmp:
            yield tmp
            if _armed("before_rename", path):
                _hold()

    io_module.atomic_path = atomic_path


class _PatchIo(importlib.abc.MetaPathFinder):
    """Wraps blendhunter.io.atomic_path as soon as the module has run, before any
    other module imports the name from it."""

    def find_spec(self, name, path=None, target=None):
        if name != "blendhunter.io":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            _patch(module)

        spec.loader.exec_module = exec_module
        return spec


if os.environ.get("BH_FAULT_POINT") in POINTS and os.environ.get("BH_FAULT_DIR"):
    sys.meta_path.insert(0, _PatchIo())
