"""Small I/O helpers shared by every stage: atomic writes and provenance."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import shutil
import zipfile
from importlib import metadata
from pathlib import Path

from blendhunter.errors import DamagedFileError, FileAccessError

# What a damaged file raises when read: h5py and Keras raise OSError, KeyError or
# ValueError, a cut-short zip (.keras) BadZipFile, pandas ParserError (a ValueError).
READ_ERRORS = (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile)
# OS errors that say nothing about the file's content: the disk, permissions, the device
LOCAL_ERRNOS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EIO: "input/output error of the device",
}


def local_problem(err: BaseException) -> str | None:
    """What a local OS error is ('disk full', 'permission denied', ...), None otherwise."""
    return LOCAL_ERRNOS.get(getattr(err, "errno", None)) if isinstance(err, OSError) else None


def free_bytes(path: str | Path) -> int:
    """Free space on the file system of `path` (or of its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


PACKAGES = ("blendhunter", "galsim", "numpy", "h5py", "tensorflow-cpu", "tensorflow", "keras", "sep")


def _remove_stale_partials(path: Path) -> None:
    """Temporaries of `path` left by writers that were killed (their process is gone)."""
    for stale in path.parent.glob(f".{path.stem}.partial-*{path.suffix}"):
        pid = stale.name[len(f".{path.stem}.partial-") : len(stale.name) - len(path.suffix)]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            stale.unlink(missing_ok=True)
        except PermissionError:  # alive, another user's
            pass


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it into place on success.

    An interrupted or failed step never leaves a file at `path` that looks
    complete: the temporary is removed on error, and a kill leaves only a
    `.NAME.partial-PID.EXT` file, which the next writer of `path` removes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(path)
    # unique per process (two writers of one file never share a temporary); keep the
    # suffix: Keras needs it
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def reading(path: str | Path, what: str):
    """Turn a read error of `path` into one DamagedFileError that names the file, says it is
    damaged and how to rebuild it; a permission or device error into a FileAccessError
    that says so (the file is not damaged). A missing file stays FileNotFoundError."""
    try:
        yield
    except (FileNotFoundError, DamagedFileError):
        raise
    except READ_ERRORS as err:
        if problem := local_problem(err):
            raise FileAccessError(
                f"{path} cannot be read: {problem} ({err}); the file itself may be fine: fix the "
                "cause and run again"
            ) from err
        raise DamagedFileError(
            f"{path} is damaged ({what} that cannot be read: {type(err).__name__}: {err}); "
            "delete it and run snakemake again to rebuild it (or rebuild it with --forcerun RULE)"
        ) from err


def versions() -> dict[str, str]:
    """Versions of the packages that shape the outputs."""
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def provenance(**extra) -> dict[str, str]:
    """Attributes recorded in every output: package versions plus the caller's."""
    attrs = {"versions": json.dumps(versions(), sort_keys=True)}
    for key, value in extra.items():
        attrs[key] = value if isinstance(value, (int, float, str)) else json.dumps(value, sort_keys=True)
    return attrs


def write_json(path: str | Path, payload: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def md5sum(path: str | Path, block: int = 1 << 20) -> str:
    """The MD5 of a file, read in blocks."""
    import hashlib

    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()
