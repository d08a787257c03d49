"""blendhunter.workflow.download: checked, resumable downloads and unpacking, against a local HTTP server."""

from __future__ import annotations

import errno
import tarfile

import pytest

from blendhunter.workflow.download import fetch, part_path, unpack
from blendhunter.workflow.inputs import ResourceError
from tests.helpers import PAYLOAD, md5


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


def test_a_full_disk_during_fetch_is_not_retried_and_keeps_the_part(server, tmp_path, monkeypatch):
    import builtins

    from blendhunter.workflow import download

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
