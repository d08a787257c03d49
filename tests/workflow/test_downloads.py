"""The workflow's download rules against a local HTTP server (real Snakemake runs)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from blendhunter.workflow import inputs
from blendhunter.workflow.inputs import COSMOS_DOWNLOAD_DIR

from ..conftest import SHARED, make_config, run_snakemake, write_config
from ..helpers import md5


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
