"""Fetching and checking the workflow's external inputs.

Each resource is a configured local path (what CI and offline sites use) or
the public download. A missing or wrong resource raises ResourceError with
one message that says which config key to set.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py

from blendhunter.errors import ResourceError
from blendhunter.io import atomic_path, md5sum, write_json

VGG16_CONV_LAYERS = tuple(
    f"block{block}_conv{conv}"
    for block, n_conv in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3))
    for conv in range(1, n_conv + 1)
)
COSMOS_SAMPLE = "25.2"
COSMOS_DOWNLOAD_DIR = f"COSMOS_{COSMOS_SAMPLE}_training_sample"
GAL_TYPES = {"cosmos_parametric": "parametric", "cosmos_real": "real"}


def check_vgg16_weights(path: str | Path) -> None:
    """The file must hold the 13 VGG-16 conv layers, each a kernel and a bias."""
    hint = "set resources.vgg16_weights to a VGG-16 'notop' Keras .h5 file, or to imagenet"
    path = Path(path)
    if not path.is_file():
        raise ResourceError(f"resources.vgg16_weights: {path} does not exist; {hint}")
    try:
        with h5py.File(path, "r") as handle:
            group = handle["model_weights"] if "model_weights" in handle else handle
            missing = [name for name in VGG16_CONV_LAYERS if name not in group]
            incomplete = [
                name
                for name in VGG16_CONV_LAYERS
                if name in group and len(group[name].attrs.get("weight_names", [])) != 2
            ]
    except OSError as err:
        raise ResourceError(f"resources.vgg16_weights: {path} is not HDF5 ({err}); {hint}") from err
    if missing or incomplete:
        raise ResourceError(
            f"resources.vgg16_weights: {path} lacks VGG-16 conv layers "
            f"{', '.join(missing + incomplete)}; {hint}"
        )


def fetch_vgg16_weights(spec: str, out: str | Path, download: dict | None = None) -> None:
    """Copy the configured weights file, or download the ImageNet one (`download`: the
    url, md5 and retries of resources.downloads.vgg16)."""
    if spec == "imagenet":
        from blendhunter.workflow.download import fetch

        try:
            fetch(download["url"], out, download["md5"], retries=download["retries"])
        except ResourceError as err:
            raise ResourceError(
                f"resources.vgg16_weights: {err}; with no network, set it to a local VGG-16 "
                "notop .h5 file (config/offline.yaml does)"
            ) from err
        check_vgg16_weights(out)
        return
    check_vgg16_weights(spec)
    with atomic_path(out) as tmp:
        shutil.copyfile(spec, tmp)


def random_vgg16_weights(template: str | Path, out: str | Path, seed: int) -> None:
    """A weights file in the layout of `template` (the ImageNet one) holding Keras' default
    initialisation instead: Glorot-uniform kernels, zero biases, from a seeded stream.
    The same architecture, untrained: the pre-training ablation's network."""
    import numpy as np

    from blendhunter.simulation import seeds

    rng = seeds.generator(seed, seeds.RANDOM_WEIGHTS)
    check_vgg16_weights(template)
    with atomic_path(out) as tmp:
        shutil.copyfile(template, tmp)
        with h5py.File(tmp, "r+") as handle:
            for layer in VGG16_CONV_LAYERS:
                for name in handle[layer].attrs["weight_names"]:
                    data = handle[layer][name.decode() if isinstance(name, bytes) else name]
                    if data.ndim == 4:  # (kh, kw, c_in, c_out)
                        fan_in = data.shape[0] * data.shape[1] * data.shape[2]
                        fan_out = data.shape[0] * data.shape[1] * data.shape[3]
                        limit = np.sqrt(6.0 / (fan_in + fan_out))
                        data[...] = rng.uniform(-limit, limit, data.shape).astype(data.dtype)
                    else:
                        data[...] = 0
            handle.attrs["blendhunter_init"] = f"glorot_uniform, seed {seed}"


def check_catalogue_config(key: str, entry: dict) -> None:
    """Parse-time check of a local catalogue directory (cheap: paths only)."""
    if entry["path"] is None:
        return
    directory = Path(entry["path"])
    hint = (
        f"set resources.{key}.path to the directory holding {entry['file_name']}, "
        "or to null to download the public COSMOS sample"
    )
    if not directory.is_dir():
        raise ResourceError(f"resources.{key}.path: {directory} is not a directory; {hint}")
    if not (directory / entry["file_name"]).is_file():
        raise ResourceError(
            f"resources.{key}: {entry['file_name']} is not in {directory}; "
            f"set resources.{key}.file_name, or {hint}"
        )


def download_cosmos(dest: str | Path, download: dict) -> Path:
    """The public COSMOS 25.2 sample (a 4 GB archive), unpacked into `dest`; `download`:
    the url, md5 and retries of resources.downloads.cosmos."""
    from blendhunter.workflow.download import fetch, unpack

    dest = Path(dest)
    archive = dest.with_name(Path(download["url"]).name)
    try:
        if not archive.exists():  # kept only between a finished download and its unpacking
            fetch(download["url"], archive, download["md5"], retries=download["retries"])
        unpack(archive, dest)
    except ResourceError as err:
        raise ResourceError(
            f"COSMOS {COSMOS_SAMPLE} sample: {err}; with no network, set "
            "resources.cosmos_parametric.path and resources.cosmos_real.path to local copies "
            "(config/offline.yaml does)"
        ) from err
    archive.unlink()
    if not (dest / COSMOS_DOWNLOAD_DIR).is_dir():
        raise ResourceError(
            f"{download['url']} unpacked without the folder {COSMOS_DOWNLOAD_DIR}/ that the "
            "catalogues are read from; point resources.downloads.cosmos.url at the COSMOS "
            f"{COSMOS_SAMPLE} training sample"
        )
    return dest / COSMOS_DOWNLOAD_DIR


def catalogue_manifest(key: str, directory: str | Path, file_name: str, out: str | Path) -> dict:
    """Open the catalogue as the simulation will, draw one galaxy, record it."""
    from blendhunter.errors import CatalogueError
    from blendhunter.simulation.simulate import GalaxySource

    gal_type = GAL_TYPES[key]
    directory = Path(directory).resolve()
    check_catalogue_config(key, {"path": str(directory), "file_name": file_name})
    try:
        source = GalaxySource(str(directory), file_name, gal_type)
        source.galaxy(0).drawImage(nx=16, ny=16, scale=0.2)
    except (CatalogueError, OSError, KeyError) as err:
        raise ResourceError(
            f"resources.{key}: {directory / file_name} cannot give {gal_type} galaxies ({err}); "
            f"point resources.{key} at a COSMOS catalogue with "
            + ("images (RealGalaxyCatalog)" if gal_type == "real" else "parametric fits")
        ) from err
    manifest = {
        "key": key,
        "gal_type": gal_type,
        "dir": str(directory),
        "file_name": file_name,
        "md5": md5sum(directory / file_name),
        "nobjects": int(source.size),
    }
    write_json(out, manifest)
    return manifest
