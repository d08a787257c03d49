"""A seeded fuzzer: bytes of valid inputs (a FITS cube, a CSV catalogue, a head's JSON
metadata, a workflow HDF5 stamp file) flipped and cut. No variant may give a traceback,
and none may exit 0 with a wrong answer that is not flagged: an answer with exit 0 keeps
the label of the undamaged input on every row, or flags the row."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from blendhunter.network import training
from blendhunter.simulation import stamps
from tests.unit.conftest import SIGMA, galaxies, run

VARIANTS = 75  # per kind of input; 4 kinds


def damaged(data: bytes, rng: np.random.Generator) -> bytes:
    """Flip 1-8 random bytes, cut the end off, or both."""
    out = bytearray(data)
    action = rng.integers(3)
    if action in (0, 2):
        for at in rng.integers(0, len(out), rng.integers(1, 9)):
            out[at] ^= int(rng.integers(1, 256))
    if action in (1, 2):
        out = out[: int(rng.integers(0, len(out)))]
    return bytes(out)


@pytest.fixture(scope="module")
def originals(kit, tmp_path_factory):
    """The valid inputs and the labels each gives."""
    root = tmp_path_factory.mktemp("fuzz")
    from astropy.io import fits

    cube = root / "cube.fits"
    fits.PrimaryHDU(galaxies()).writeto(cube)
    h5 = root / "stamps.h5"
    padded = np.pad(galaxies(), ((0, 0), (7, 7), (7, 7)))
    padded[:, :7] = np.random.default_rng(4).normal(0, SIGMA, padded[:, :7].shape)
    stamps.write_images(h5, padded, {"label": np.zeros(len(padded), int)}, {"config_sha256": "fuzz"})
    return {"cube": cube, "h5": h5}


def classify_labels(kit, stamps_path, model, out, capsys):
    argv = ["classify", "--quiet", "--vgg16-weights", kit.weights, "--model", model, "--output", out]
    return run([*argv, stamps_path], capsys)


def check_answer(status: int, err: str, out, reference: pd.Series | None) -> None:
    assert status in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err, err
    if status == 2:
        return
    table = pd.read_csv(out, keep_default_na=False)
    if reference is not None and len(table) == len(reference):
        unchanged = table["label"].to_numpy() == reference.to_numpy()
        assert (unchanged | (table["flags"] != "").to_numpy()).all(), table


@pytest.mark.parametrize("kind", ["cube", "h5", "metadata", "catalogue"])
def test_damaged_inputs_never_give_a_traceback_or_an_unflagged_wrong_answer(
    kind, kit, originals, tmp_path, capsys
):
    rng = np.random.default_rng(["cube", "h5", "metadata", "catalogue"].index(kind))
    reference = None
    if kind in ("cube", "h5", "metadata"):
        status, err = classify_labels(
            kit, originals["cube" if kind == "metadata" else kind], kit.model, tmp_path / "ref.csv", capsys
        )
        assert status == 0, err
        reference = pd.read_csv(tmp_path / "ref.csv")["label"]
    statuses = []
    for variant in range(VARIANTS):
        out = tmp_path / f"out{variant}.csv"
        if kind in ("cube", "h5"):
            path = tmp_path / f"v{variant}{originals[kind].suffix}"
            path.write_bytes(damaged(originals[kind].read_bytes(), rng))
            status, err = classify_labels(kit, path, kit.model, out, capsys)
        elif kind == "metadata":
            model = tmp_path / f"m{variant}"
            shutil.copytree(kit.model, model)
            meta = model / training.METADATA_FILE
            meta.write_bytes(damaged(meta.read_bytes(), rng))
            status, err = classify_labels(kit, originals["cube"], model, out, capsys)
        else:
            path = tmp_path / f"c{variant}.csv"
            path.write_bytes(damaged(kit.catalogue.read_bytes(), rng))
            argv = ["classify-image", "--quiet", "--vgg16-weights", kit.weights, "--model", kit.model]
            status, err = run([*argv, "--output", out, "--catalogue", path, kit.image], capsys)
        check_answer(status, err, out, reference)
        statuses.append(status)
    print(kind, {s: statuses.count(s) for s in set(statuses)})
    assert 2 in statuses  # the fuzzer reaches the error paths...
    assert 0 in statuses or kind != "cube"  # ...and, for the cube, the answers
