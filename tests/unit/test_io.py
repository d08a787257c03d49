"""blendhunter.io: a damaged, unreadable or unwritable file gets one message that names it.

Damaged intermediates: a file cut short or overwritten makes its reader fail with one
message that names the file, says it is damaged and how to rebuild it.
"""

from __future__ import annotations

import errno
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from blendhunter.evaluation import metrics
from blendhunter.io import DamagedFileError
from blendhunter.network import features, training
from blendhunter.simulation import stamps

MESSAGE = "is damaged"


def truncate(path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def garbage(path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(4096))


@pytest.fixture
def stamp_file(tmp_path):
    path = tmp_path / "stamps.h5"
    images = np.zeros((20, 65, 65), np.float32)
    columns = {"label": np.zeros(20, int), "split": np.zeros(20, int), "separation": np.full(20, np.nan)}
    stamps.write_images(path, images, columns, {"kind": "test"})
    return path


@pytest.fixture
def feature_file(tmp_path, stamp_file):
    path = tmp_path / "features.h5"
    stamp_set = stamps.StampSet(stamp_file)
    infer = lambda x: np.zeros((len(x), *features.FEATURE_SHAPE), np.float32)  # noqa: E731
    features.write_features(stamp_set, path, infer, "png", 8, {"engine": "test"})
    return path


@pytest.mark.parametrize("damage", [truncate, garbage])
def test_damaged_stamp_file_is_named(stamp_file, damage):
    damage(stamp_file)
    with pytest.raises(DamagedFileError, match=MESSAGE) as err:
        stamps.StampSet(stamp_file).images(np.arange(5))
    assert str(stamp_file) in str(err.value) and "rebuild" in str(err.value)


@pytest.mark.parametrize("damage", [truncate, garbage])
def test_damaged_feature_file_is_named(feature_file, damage):
    damage(feature_file)
    with pytest.raises(DamagedFileError, match=MESSAGE) as err:
        features.read_features(feature_file, "train")
    assert str(feature_file) in str(err.value)


@pytest.mark.parametrize("damage", [truncate, garbage])
def test_damaged_head_is_named(tmp_path, damage):
    model = training.build_head()
    model.save(tmp_path / training.HEAD_FILE)
    damage(tmp_path / training.HEAD_FILE)
    with pytest.raises(DamagedFileError, match=MESSAGE) as err:
        training.load_head(tmp_path)
    assert training.HEAD_FILE in str(err.value)


@pytest.mark.parametrize("content", [b"\x00\xff garbage \x01", b"index,p_bl"])
def test_damaged_predictions_are_named(tmp_path, content):
    path = tmp_path / "predictions.csv"
    pd.DataFrame({"index": [0, 1], "p_blend": [0.2, 0.9], "label": ["isolated", "blended"]}).to_csv(path)
    path.write_bytes(content)
    with pytest.raises(DamagedFileError, match=MESSAGE):
        metrics.read_labels(path)


def test_a_rule_with_a_damaged_input_fails_with_one_line(tmp_path, feature_file):
    """logs.run: the rule's log and stderr get the message, not a traceback."""
    garbage(feature_file)
    script = f"""
import types
from blendhunter.network import features
from blendhunter.logs import run
smk = types.SimpleNamespace(log=[{str(tmp_path / "rule.log")!r}], rule="train_head", wildcards={{}})
run(lambda s: features.read_features({str(feature_file)!r}, "train"), smk)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    log = (tmp_path / "rule.log").read_text()
    assert f"{feature_file} is damaged" in log and "rule train_head failed" in log


def test_reading_tells_permission_errors_from_damage(tmp_path):
    from blendhunter.io import DamagedFileError, FileAccessError, reading

    with pytest.raises(FileAccessError, match="permission denied"):
        with reading(tmp_path / "f.h5", "a stamp file"):
            raise PermissionError(errno.EACCES, "Permission denied")
    with pytest.raises(DamagedFileError, match="is damaged"):
        with reading(tmp_path / "f.h5", "a stamp file"):
            raise OSError("Unable to open file (truncated file)")
