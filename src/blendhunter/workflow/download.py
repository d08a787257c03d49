"""Downloads that resume, retry and check: the workflow's public inputs.

A file is fetched into NAME.part beside its destination. A transfer cut short is
retried; the retry (or the next run, after a kill) resumes the part file with an
HTTP Range request, or starts it again when the server ignores the range. The MD5
is checked when one is pinned, and only then is the file renamed into place, so
nothing at the destination is ever half-written. An archive is unpacked into a
sibling folder that is renamed into place when it is complete.
"""

from __future__ import annotations

import http.client
import logging
import os
import shutil
import tarfile
import time
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from blendhunter.errors import ResourceError
from blendhunter.io import free_bytes, local_problem, md5sum
from blendhunter.logs import Progress

log = logging.getLogger(__name__)
BLOCK = 1 << 20
TRANSFER_ERRORS = (URLError, OSError, http.client.HTTPException)


def part_path(dest: str | Path) -> Path:
    dest = Path(dest)
    return dest.with_name(dest.name + ".part")


def fetch(
    url: str, dest: str | Path, md5: str | None, retries: int = 3, backoff: float = 2.0, timeout: float = 60
) -> str:
    """Download `url` to `dest` (resuming, retrying); return its MD5. A pinned `md5` that
    does not match removes the download and raises ResourceError."""
    dest, part = Path(dest), part_path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(retries + 1):
        try:
            _transfer(url, part, timeout)
            break
        except TRANSFER_ERRORS as err:
            if problem := local_problem(err):  # not the network: retrying cannot help
                raise ResourceError(
                    f"downloading {url}: {problem} writing {part} ({free_bytes(part):,} bytes free"
                    f"{_needed(err)}); {part} is kept and the next run resumes it once there is room"
                ) from err
            if isinstance(err, HTTPError) and 400 <= err.code < 500:
                raise ResourceError(f"downloading {url} failed: HTTP {err.code} {err.reason}") from err
            if attempt == retries:
                raise ResourceError(
                    f"downloading {url} failed after {attempt + 1} attempts ({err}); "
                    f"{part} is kept and the next run resumes it"
                ) from err
            log.warning("download of %s interrupted (%s); retry %d of %d", url, err, attempt + 1, retries)
            time.sleep(backoff * (attempt + 1))
    digest = md5sum(part)
    if md5 and digest != md5:
        part.unlink()
        raise ResourceError(
            f"{url}: checksum mismatch (MD5 {digest}, expected {md5}): the file is damaged or not the "
            "one pinned; the download was removed. Run again to fetch it anew, or correct the md5 "
            "in resources.downloads"
        )
    os.replace(part, dest)
    log.info("downloaded %s -> %s (MD5 %s%s)", url, dest, digest, "" if md5 else ", not pinned")
    return digest


def _needed(err: BaseException) -> str:
    needed = getattr(err, "bytes_needed", None)
    return f", about {needed:,} more needed" if needed else ""


def _transfer(url: str, part: Path, timeout: float) -> None:
    """Fetch the rest of `url` into `part` (all of it if the server ignores the range)."""
    have = part.stat().st_size if part.exists() else 0
    request = Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urlopen(request, timeout=timeout)
    except HTTPError as err:
        if err.code == 416 and have:  # nothing left to fetch: the checksum decides
            return
        raise
    with response:
        resumed = response.status == 206
        length = response.headers.get("Content-Length")
        total = None if length is None else int(length) + (have if resumed else 0)
        if resumed:
            log.info("resuming %s at byte %d", url, have)
        progress = Progress(total or 0, f"download {part.name} (bytes)", log)
        progress.done = have if resumed else 0
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while block := response.read(BLOCK):
                    out.write(block)
                    progress.update(len(block))
        except OSError as err:
            if total is not None:
                err.bytes_needed = total - part.stat().st_size
            raise
    size = part.stat().st_size
    if total is not None and size < total:
        raise ConnectionError(f"transfer cut short at {size} of {total} bytes")


def _unpacked_size(archive: Path) -> int:
    try:
        with tarfile.open(archive) as tar:
            return sum(member.size for member in tar.getmembers())
    except (tarfile.TarError, OSError, EOFError):
        return 0


def unpack(archive: str | Path, dest: str | Path) -> Path:
    """Unpack a tar archive into `dest` through a sibling folder renamed when complete."""
    archive, dest = Path(archive), Path(dest)
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(partial, filter="data")
    except (tarfile.TarError, EOFError, OSError) as err:
        shutil.rmtree(partial, ignore_errors=True)
        if problem := local_problem(err):  # the disk, not the archive: keep it
            raise ResourceError(
                f"unpacking {archive} into {partial}: {problem} ({err}); {free_bytes(dest):,} bytes "
                f"free, about {_unpacked_size(archive):,} needed; the archive is kept: make room "
                "and run again"
            ) from err
        archive.unlink(missing_ok=True)
        raise ResourceError(
            f"{archive} cannot be unpacked ({err}): it was removed; run again to download it anew"
        ) from err
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(partial, dest)
    return dest
