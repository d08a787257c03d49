"""Small I/O helpers shared by every stage: atomic writes and provenance."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import zipfile
from importlib import metadata
from pathlib import Path

from .errors import DamagedFileError  # noqa: F401 (raised here, importable from here)

# What a damaged file raises when read: h5py and Keras raise OSError, KeyError or
# ValueError, a cut-short zip (.keras) BadZipFile, pandas ParserError (a ValueError).
READ_ERRORS = (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile)

PACKAGES = ("blendhunter", "galsim", "numpy", "h5py", "tensorflow-cpu", "tensorflow", "keras", "sep")


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path beside `path`; rename it into place on success.

    An interrupted or failed step never leaves a file at `path` that looks
    complete: the temporary is removed on error, and a kill leaves only a
    `.NAME.partial.EXT` file that the next run overwrites.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")  # keep the suffix: Keras needs it
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def reading(path: str | Path, what: str):
    """Turn a read error of `path` into one DamagedFileError that names the file, says it is
    damaged and how to rebuild it. A missing file stays FileNotFoundError."""
    try:
        yield
    except (FileNotFoundError, DamagedFileError):
        raise
    except READ_ERRORS as err:
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
