"""The download branch, against a real HTTP server on the loopback address.

`fetch` is checked for a whole transfer, a pinned checksum that does not match, a
transfer cut short (retried and resumed with a Range request), a part file left by a
killed run (resumed), a server that ignores ranges (restarted) and a missing file. A
real Snakemake run then downloads a miniature COSMOS archive in the real layout and
the real VGG-16 weights from the loopback server, and a damaged archive fails with
the checksum error and leaves nothing that looks complete.
"""

from __future__ import annotations

import errno
import hashlib
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from blendhunter import inputs
from blendhunter.download import fetch, part_path, unpack
from blendhunter.inputs import COSMOS_DOWNLOAD_DIR, ResourceError

from .conftest import SHARED, make_config, run_snakemake, write_config

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


class Handler(BaseHTTPRequestHandler):
    """Serves server.files; honours byte ranges unless server.ignore_range; each entry of
    server.cuts[path] cuts one response for that path short after that many bytes of its
    body (per path, so the order in which parallel jobs ask does not matter)."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        requested = self.headers.get("Range")
        server.requests.append((self.path, requested))
        body = server.files.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start = 0
        if requested and not server.ignore_range:
            start = int(requested.removeprefix("bytes=").rstrip("-"))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        rest = body[start:]
        self.send_header("Content-Length", str(len(rest)))
        self.end_headers()
        cuts = server.cuts.get(self.path, [])
        cut = cuts.pop(0) if cuts else None
        self.wfile.write(rest if cut is None else rest[:cut])

    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.files, httpd.cuts, httpd.requests, httpd.ignore_range = {}, {}, [], False
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_whole_download_is_checked_and_renamed(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    dest = tmp_path / "a.bin"
    assert fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), backoff=0) == md5(PAYLOAD)
    assert dest.read_bytes() == PAYLOAD
    assert not part_path(dest).exists()


def test_checksum_mismatch_removes_the_download(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD[:-10]  # truncated on the server
    dest = tmp_path / "a.bin"
    with pytest.raises(ResourceError, match="checksum mismatch"):
        fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), backoff=0)
    assert not dest.exists() and not part_path(dest).exists()


def test_cut_transfer_is_retried_and_resumed(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    server.cuts["/a.bin"] = [300_000, 200_000]  # two transfers cut short, the third completes
    dest = tmp_path / "a.bin"
    fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), retries=3, backoff=0)
    assert dest.read_bytes() == PAYLOAD
    assert [r for _, r in server.requests] == [None, "bytes=300000-", "bytes=500000-"]


def test_part_file_of_a_killed_run_is_resumed(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    dest = tmp_path / "a.bin"
    part_path(dest).write_bytes(PAYLOAD[:123_456])
    fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), backoff=0)
    assert dest.read_bytes() == PAYLOAD
    assert server.requests == [("/a.bin", "bytes=123456-")]


def test_server_ignoring_ranges_restarts_cleanly(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    server.ignore_range = True
    dest = tmp_path / "a.bin"
    part_path(dest).write_bytes(b"x" * 1000)  # a stale part that must not be appended to
    fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), backoff=0)
    assert dest.read_bytes() == PAYLOAD


def test_retries_exhausted_keep_the_part_for_the_next_run(server, tmp_path):
    server.files["/a.bin"] = PAYLOAD
    server.cuts["/a.bin"] = [100_000, 100_000]
    dest = tmp_path / "a.bin"
    with pytest.raises(ResourceError, match="next run resumes it"):
        fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), retries=1, backoff=0)
    assert not dest.exists() and part_path(dest).stat().st_size == 200_000
    fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), backoff=0)
    assert dest.read_bytes() == PAYLOAD


def test_missing_file_fails_at_once(server, tmp_path):
    with pytest.raises(ResourceError, match="HTTP 404"):
        fetch(f"{server.url}/nothing.bin", tmp_path / "n.bin", None, retries=3, backoff=0)
    assert len(server.requests) == 1


def test_unpack_of_a_damaged_archive_leaves_nothing(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(b"not a tar archive")
    with pytest.raises(ResourceError, match="cannot be unpacked"):
        unpack(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- a full disk is not a network fault -------------------------------------------------------
# Each fails on the code before: fetch retried ENOSPC as a cut transfer, unpack removed
# the archive on any OSError, and reading() called a permission error "damaged".


def test_a_full_disk_during_fetch_is_not_retried_and_keeps_the_part(server, tmp_path, monkeypatch):
    import builtins

    from blendhunter import download

    server.files["/a.bin"] = PAYLOAD
    room = 100_000

    class Filling:
        def __init__(self, handle):
            self.handle = handle

        def write(self, block):
            if self.handle.tell() + len(block) > room:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(block)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr(download, "open", lambda *a, **k: Filling(builtins.open(*a, **k)), raising=False)
    monkeypatch.setattr(download, "BLOCK", 50_000)
    dest = tmp_path / "a.bin"
    with pytest.raises(ResourceError, match="disk full") as info:
        fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), retries=3, backoff=0)
    assert "bytes free" in str(info.value) and "more needed" in str(info.value)
    assert len(server.requests) == 1  # not retried
    assert part_path(dest).stat().st_size == room and not dest.exists()
    monkeypatch.undo()  # room again: the next run resumes the part
    assert fetch(f"{server.url}/a.bin", dest, md5(PAYLOAD), backoff=0) == md5(PAYLOAD)
    assert server.requests[-1][1] == f"bytes={room}-"


def test_a_full_disk_during_unpack_keeps_the_archive(tmp_path, monkeypatch):
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        member = tmp_path / "member.bin"
        member.write_bytes(PAYLOAD)
        tar.add(member, arcname="member.bin")

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "extractall", full)
    with pytest.raises(ResourceError, match="disk full") as info:
        unpack(archive, tmp_path / "out")
    assert f"about {len(PAYLOAD):,} needed" in str(info.value)
    assert archive.exists() and not (tmp_path / "out.partial").exists()


def test_reading_tells_permission_errors_from_damage(tmp_path):
    from blendhunter.io import DamagedFileError, FileAccessError, reading

    with pytest.raises(FileAccessError, match="permission denied"):
        with reading(tmp_path / "f.h5", "a stamp file"):
            raise PermissionError(errno.EACCES, "Permission denied")
    with pytest.raises(DamagedFileError, match="is damaged"):
        with reading(tmp_path / "f.h5", "a stamp file"):
            raise OSError("Unable to open file (truncated file)")


def miniature_cosmos_archive(path: Path, n_parametric: int = 300) -> bytes:
    """The public sample's layout (COSMOS_25.2_training_sample/ with a parametric-fit
    catalogue and a real-galaxy catalogue with its images), from the copies in ../shared."""
    from astropy.table import Table

    top = path.parent / COSMOS_DOWNLOAD_DIR
    top.mkdir()
    fits = Table.read(SHARED / "data" / "cosmos_25.2_fits" / "src_cosmos.fits")[:n_parametric]
    fits.write(top / "real_galaxy_catalog_25.2_fits.fits")
    for source in (SHARED / "data" / "cosmos_btk_26ext").glob("*.fits"):
        (top / source.name).write_bytes(source.read_bytes())
    with tarfile.open(path, "w:gz") as tar:
        tar.add(top, arcname=COSMOS_DOWNLOAD_DIR)
    return path.read_bytes()


def download_config(server, archive: bytes, cosmos_md5: str | None) -> dict:
    weights = (SHARED / "weights" / "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5").read_bytes()
    server.files["/vgg16_notop.h5"] = weights
    server.files["/COSMOS_25.2_training_sample.tar.gz"] = archive
    return make_config(
        {
            "resources": {
                "vgg16_weights": "imagenet",
                "cosmos_parametric": {"path": None, "file_name": "real_galaxy_catalog_25.2_fits.fits"},
                "cosmos_real": {"path": None, "file_name": "real_galaxy_catalog_26_extension_example.fits"},
                "downloads": {
                    "vgg16": {"url": f"{server.url}/vgg16_notop.h5", "md5": md5(weights), "retries": 1},
                    "cosmos": {
                        "url": f"{server.url}/COSMOS_25.2_training_sample.tar.gz",
                        "md5": cosmos_md5,
                        "retries": 1,
                    },
                },
            }
        }
    )


TARGETS = ("resources/cosmos_parametric.json", "resources/cosmos_real.json", "resources/vgg16_notop.h5")


@pytest.mark.slow
def test_workflow_downloads_the_public_inputs(server, tmp_path):
    archive = miniature_cosmos_archive(tmp_path / "archive.tar.gz")
    # the archive's first transfer is cut: the job resumes it
    server.cuts["/COSMOS_25.2_training_sample.tar.gz"] = [len(archive) // 2]
    cfg = download_config(server, archive, md5(archive))
    configfile = write_config(tmp_path / "config.yaml", cfg)
    workdir = tmp_path / "run"
    workdir.mkdir()
    run_snakemake(workdir, configfile, *TARGETS)
    manifest = (workdir / "resources" / "cosmos_parametric.json").read_text()
    assert '"nobjects": 300' in manifest
    assert '"gal_type": "real"' in (workdir / "resources" / "cosmos_real.json").read_text()
    inputs.check_vgg16_weights(workdir / "resources" / "vgg16_notop.h5")
    assert ("/COSMOS_25.2_training_sample.tar.gz", f"bytes={len(archive) // 2}-") in server.requests
    left = sorted(p.name for p in (workdir / "resources").iterdir())
    assert left == ["cosmos_download", "cosmos_parametric.json", "cosmos_real.json", "vgg16_notop.h5"]


@pytest.mark.slow
def test_workflow_refuses_a_damaged_archive(server, tmp_path):
    archive = miniature_cosmos_archive(tmp_path / "archive.tar.gz")
    damaged = archive[: len(archive) // 2] + bytes(len(archive) - len(archive) // 2)
    cfg = download_config(server, damaged, md5(archive))
    configfile = write_config(tmp_path / "config.yaml", cfg)
    workdir = tmp_path / "run"
    workdir.mkdir()
    result = run_snakemake(workdir, configfile, "resources/cosmos_real.json", check=False)
    assert result.returncode != 0
    log = (workdir / "results" / "logs" / "resources" / "download_cosmos.log").read_text()
    assert "checksum mismatch" in log and "Traceback" not in log
    assert not (workdir / "resources" / "cosmos_download").exists()
    assert not list((workdir / "resources").glob("COSMOS*"))
