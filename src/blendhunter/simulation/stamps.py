"""HDF5 stamp files: chunks, the noiseless master of a set, and noisy sets.

Layout of every stamp file
  images            (n, P, P) float32   only in chunk, master and user files
  meta/<column>     (n,)                label, positions, separation, ids, fluxes,
                                        PSF parameters, split (see simulate.py)
  attrs             kind, seeds, pixel scale, PSF config, versions, config digest

A *noisy set* file (one per sigma x realisation) holds the metadata and the
recipe for its noise instead of images: its `noiseless_file` attribute names
the master, and the noise of stamp i is drawn from its own stream keyed by
(seed, sigma, realisation, i). `StampSet.images` returns the noisy stamps, so
no noisy copy is ever stored, and a set is rebuilt alone bit for bit.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from blendhunter.io import atomic_path, provenance, reading
from blendhunter.simulation import seeds
from blendhunter.simulation.splits import SPLIT_CODES

IMAGE_CHUNK = 64  # stamps per HDF5 chunk: batches read contiguous blocks


def _write_meta(handle: h5py.File, columns: dict) -> None:
    group = handle.create_group("meta")
    for key, values in columns.items():
        group.create_dataset(key, data=np.asarray(values))


def _write_attrs(handle: h5py.File, attrs: dict) -> None:
    for key, value in attrs.items():
        handle.attrs[key] = value


def write_images(path, images: np.ndarray, columns: dict, attrs: dict) -> None:
    """A file holding images and metadata (chunks, masters), written atomically."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as handle:
        handle.create_dataset(
            "images",
            data=images.astype(np.float32),
            chunks=(min(IMAGE_CHUNK, max(len(images), 1)), *images.shape[1:]),
        )
        _write_meta(handle, columns)
        _write_attrs(handle, attrs)


def read_meta(path) -> pd.DataFrame:
    with reading(path, "a stamp file"), h5py.File(path, "r") as handle:
        return pd.DataFrame({key: handle["meta"][key][()] for key in handle["meta"]})


def read_attrs(path) -> dict:
    with reading(path, "a stamp file"), h5py.File(path, "r") as handle:
        return dict(handle.attrs)


def check_chunks(chunk_paths: list, config_sha256: str | None = None) -> int:
    """Chunks must follow each other from stamp 0 and share the configuration digest.

    Guards the master against stale chunks (e.g. drawn with another chunk size
    or config and not rerun): its attributes would otherwise describe stamps
    it does not hold. Returns the number of stamps.
    """
    start = 0
    for path in chunk_paths:
        with h5py.File(path, "r") as chunk:
            n = chunk["images"].shape[0]
            first = chunk.attrs.get("first_index")
            digest = chunk.attrs.get("config_sha256")
        if first is not None and int(first) != start:
            raise ValueError(
                f"{path} starts at stamp {int(first)}, expected {start}: the chunks are stale; rerun them"
            )
        if config_sha256 is not None and digest is not None and digest != config_sha256:
            raise ValueError(
                f"{path} was drawn with another configuration (config_sha256 {digest}, "
                f"expected {config_sha256}); rerun the chunks"
            )
        start += n
    return start


def merge_chunks(chunk_paths: list, out_path, extra_columns: dict, attrs: dict) -> None:
    """Concatenate chunk files, in order, into one master file (streamed)."""
    with h5py.File(chunk_paths[0], "r") as first:
        shape = first["images"].shape[1:]
    n = check_chunks(chunk_paths, attrs.get("config_sha256"))
    with atomic_path(out_path) as tmp, h5py.File(tmp, "w") as out:
        images = out.create_dataset(
            "images", shape=(n, *shape), dtype=np.float32, chunks=(min(IMAGE_CHUNK, n), *shape)
        )
        columns: dict[str, list] = {}
        start = 0
        for path in chunk_paths:
            with h5py.File(path, "r") as chunk:
                block = chunk["images"][()]
                images[start : start + len(block)] = block
                start += len(block)
                for key in chunk["meta"]:
                    columns.setdefault(key, []).append(chunk["meta"][key][()])
        merged = {key: np.concatenate(parts) for key, parts in columns.items()}
        merged.update(extra_columns)
        _write_meta(out, merged)
        _write_attrs(out, attrs)


def write_noisy_set(out_path, master_path, sigma: float, realisation: int, seed: int, attrs: dict):
    """A noisy set: the master's metadata plus the recipe for its noise."""
    master_attrs = read_attrs(master_path)
    meta = read_meta(master_path)
    recipe = {
        "sigma": float(sigma),
        "realisation": int(realisation),
        "noise_seed": int(seed),
        "noiseless_file": os.path.relpath(master_path, Path(out_path).parent),
        "noiseless_config_sha256": master_attrs.get("config_sha256", ""),
    }
    with atomic_path(out_path) as tmp, h5py.File(tmp, "w") as handle:
        _write_meta(handle, {k: meta[k].to_numpy() for k in meta})
        _write_attrs(handle, {**{k: v for k, v in master_attrs.items()}, **attrs, **recipe})


def noise(seed: int, sigma: float, realisation: int, indices, shape) -> np.ndarray:
    """Gaussian noise of stamps `indices` of set (sigma, realisation)."""
    out = np.empty((len(indices), *shape), dtype=np.float32)
    key = seeds.sigma_key(sigma)
    for row, index in enumerate(indices):
        rng = seeds.generator(seed, seeds.NOISE, key, realisation, index)
        out[row] = rng.normal(0.0, sigma, size=shape)
    return out


class StampSet:
    """Read access to any stamp file: chunk, master, noisy set or user file."""

    def __init__(self, path):
        self.path = Path(path)
        self.attrs = read_attrs(self.path)
        self.meta = read_meta(self.path)
        with reading(self.path, "a stamp file"), h5py.File(self.path, "r") as handle:
            self._has_images = "images" in handle
        if self._has_images:
            self.source = self.path
        else:
            if "noiseless_file" not in self.attrs:
                raise ValueError(f"{self.path}: neither an images dataset nor a noise recipe")
            self.source = (self.path.parent / self.attrs["noiseless_file"]).resolve()
            if not self.source.exists():
                raise FileNotFoundError(
                    f"{self.path} derives its stamps from {self.source}, which is missing; "
                    "rebuild it with snakemake"
                )

    def __len__(self) -> int:
        return len(self.meta)

    @property
    def sigma(self) -> float | None:
        return float(self.attrs["sigma"]) if "sigma" in self.attrs else None

    @property
    def labels(self) -> np.ndarray:
        return self.meta["label"].to_numpy()

    def indices(self, split: str | None = None) -> np.ndarray:
        """Stamp indices of one split ('train', 'validation', 'test'), or all."""
        if split is None:
            return np.arange(len(self))
        return np.flatnonzero(self.meta["split"].to_numpy() == SPLIT_CODES[split])

    def images(self, indices) -> np.ndarray:
        """Stamps (noisy for a noisy set) at sorted `indices`, float32."""
        indices = np.asarray(indices)
        with reading(self.source, "a stamp file"), h5py.File(self.source, "r") as handle:
            data = handle["images"]
            if len(indices) and np.all(np.diff(indices) == 1):
                block = data[indices[0] : indices[-1] + 1]
            else:
                block = data[indices]
        if self._has_images:
            return block
        return block + noise(
            int(self.attrs["noise_seed"]),
            float(self.attrs["sigma"]),
            int(self.attrs["realisation"]),
            indices,
            block.shape[1:],
        )

    def batches(self, indices, batch_size: int):
        """Yield (indices, images) in batches, so memory stays bounded."""
        indices = np.asarray(indices)
        for start in range(0, len(indices), batch_size):
            part = indices[start : start + batch_size]
            yield part, self.images(part)


def stamp_attrs(config: dict, kind: str, digest: str) -> dict:
    """Attributes of the files of one kind of set: how they were made."""
    return provenance(
        kind=kind,
        seed=int(config["seed"]),
        pixel_scale=float(config["stamp"]["pixel_scale"]),
        stamp_size=int(config["stamp"]["size"]),
        pad=int(config["stamp"]["pad"]),
        psf=config["psf"],
        flux=config["flux"],
        selection=config["selection"],
        config_sha256=digest,
    )


def split_name_counts(meta: pd.DataFrame) -> dict:
    names = {code: name for name, code in SPLIT_CODES.items()}
    return {names[c]: int(n) for c, n in meta["split"].value_counts().sort_index().items()}


def describe(meta: pd.DataFrame, close: float) -> dict:
    """Counts of isolated, close and distant blends (for logs and reports)."""
    blends = meta["label"] == 1
    sep = meta["separation"]
    return {
        "n": int(len(meta)),
        "isolated": int((~blends).sum()),
        "close_blends": int((blends & (sep < close)).sum()),
        "distant_blends": int((blends & (sep >= close)).sum()),
    }
