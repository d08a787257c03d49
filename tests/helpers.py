"""Plain helpers shared by unit and workflow tests (fixtures live in the conftest files)."""

from __future__ import annotations

import hashlib
from http.server import BaseHTTPRequestHandler

import numpy as np
from PIL import Image

# --- VGG-16 features -----------------------------------------------------------------------

AGREEMENT = 1e-5  # max |d| / max |f|, the criterion for a default engine


def max_relative(found: np.ndarray, reference: np.ndarray) -> float:
    return float(np.abs(found - reference).max() / np.abs(reference).max())


# --- figures ------------------------------------------------------------------------------


def assert_image(path, min_size=(200, 150)):
    """A non-empty image that opens (PNG) or a non-empty PDF."""
    assert path.exists() and path.stat().st_size > 1000, path
    if path.suffix == ".pdf":
        assert path.read_bytes()[:5] == b"%PDF-"
        return
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]
        pixels = np.asarray(image.convert("L"))
        assert pixels.std() > 5, f"{path} looks blank"


# --- benchmark files ------------------------------------------------------------------------

TSV_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_tsv(path, seconds: float, rss: float = 100.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TSV_HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t90\t{seconds}\n")


# --- a local HTTP server (conftest's `server` fixture) ---------------------------------------

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


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
