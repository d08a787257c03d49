"""blendhunter.network.features: preprocessing, the noise estimator, VGG-16 feature files and their streaming.

Real VGG-16 with the ImageNet weights from ../shared, real GalSim stamps.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from blendhunter.network import features
from blendhunter.simulation import simulate
from tests.conftest import make_config
from tests.unit.conftest import SIGMA5_STAMPS

# bfloat16 keeps 8 bits of mantissa: features move by ~0.4% (RMS, relative).
BF16_RMS_TOLERANCE = 0.02


def test_preprocessing_is_the_papers_png_scaling():
    stamp = np.array([[[-2.0, 0.0], [1.0, 4.0]]])
    levels = features.to_png_levels(stamp)
    assert levels.dtype == np.uint8
    assert levels.tolist() == [[[127, 0], [63, 255]]]
    x = features.preprocess(stamp, "png")
    assert x.shape == (1, 2, 2, 3)
    assert np.allclose(x[..., 0], levels / 255) and np.all(x[..., 0] == x[..., 2])


def test_float_preprocessing_is_the_png_scaling_without_the_8_bit_cut():
    stamp = np.array([[[-2.0, 0.0], [1.0, 4.0]]])
    x = features.preprocess(stamp, "float")
    assert np.allclose(x[0, ..., 1], [[0.5, 0.0], [0.25, 1.0]])  # 127/255 and 63/255 in png
    assert np.abs(x - features.preprocess(stamp, "png")).max() <= 1 / 255


def test_feature_file_shape_dtype_labels_and_split(sigma5_features, sigma5_set):
    with h5py.File(sigma5_features) as handle:
        assert handle["features"].shape == (SIGMA5_STAMPS, 2, 2, 512)
        assert handle["features"].dtype == np.float32
        assert np.array_equal(handle["label"][()], sigma5_set.labels)
        assert np.array_equal(handle["split"][()], sigma5_set.meta["split"].to_numpy())
        assert handle.attrs["preprocessing"] == "png" and handle.attrs["precision"] == "float32"
        assert np.isfinite(handle["features"][:64]).all()


def test_streamed_features_equal_one_batch(sigma5_features, sigma5_set, vgg16_weights):
    """Batching must not change features: stamps 0..9 extracted alone agree."""
    base = features.conv_base(vgg16_weights)
    alone = features.extract(base, sigma5_set.images(np.arange(10)), "png")
    with h5py.File(sigma5_features) as handle:
        assert np.allclose(handle["features"][:10], alone, rtol=1e-4, atol=1e-4)


def test_bfloat16_features_agree_with_float32(sigma5_set, vgg16_weights):
    images = sigma5_set.images(np.arange(64))
    f32 = features.extract(features.conv_base(vgg16_weights, "float32"), images, "png")
    bf16 = features.extract(features.conv_base(vgg16_weights, "bfloat16"), images, "png")
    assert bf16.dtype == np.float32
    rms = np.linalg.norm(bf16 - f32) / np.linalg.norm(f32)
    assert rms < BF16_RMS_TOLERANCE, rms


SIGMAS = (5, 15, 25, 35)


N_STAMPS = 40


MEDIAN_TOLERANCE = 0.05  # the estimator's median over stamps, relative to the true sigma


BORDER_BIAS = 0.10  # a bright galaxy on the border moves the estimate by less than this


def border_pattern(size: int = 65) -> np.ndarray:
    """A stamp whose border alternates +1 / -1 (median 0, MAD 1) and is 0 inside."""
    stamp = np.zeros((size, size), np.float32)
    yy, xx = np.mgrid[:size, :size]
    frame = np.ones((size, size), bool)
    frame[features.BORDER : -features.BORDER, features.BORDER : -features.BORDER] = False
    stamp[frame] = np.where((xx + yy)[frame] % 2 == 0, 1.0, -1.0)
    return stamp


def test_png_maps_a_known_stamp_to_its_8_bit_levels():
    stamp = np.array([[[-2.0, 0.0], [1.0, 4.0]]])
    x = features.preprocess(stamp, "png")
    assert np.allclose(x[0, ..., 0], [[127 / 255, 0.0], [63 / 255, 1.0]])


def test_snr_maps_a_known_stamp_to_clipped_signal_to_noise():
    stamp = border_pattern()
    sigma = 1.4826  # 1.4826 x MAD, MAD 1
    stamp[32, 32] = 10 * sigma  # 10 sigma -> (10 + 3) / 33
    stamp[32, 33] = -5 * sigma  # below the clip: -3 sigma -> 0
    stamp[32, 34] = 100 * sigma  # above the clip: 30 sigma -> 1
    x = features.preprocess(stamp[None], "snr")
    assert x.shape == (1, 65, 65, 3) and np.all(x[..., 0] == x[..., 2])
    assert features.border_sigma(stamp[None])[0] == pytest.approx(sigma, rel=1e-6)
    assert x[0, 32, 32, 0] == pytest.approx(13 / 33, rel=1e-6)
    assert x[0, 32, 33, 0] == 0.0 and x[0, 32, 34, 0] == 1.0
    assert x[0, 30, 30, 0] == pytest.approx(3 / 33, rel=1e-6)  # a zero pixel
    assert x[0, 0, 0, 0] == pytest.approx((1 / sigma + 3) / 33, rel=1e-6)


def test_snr_does_not_depend_on_the_brightest_galaxy():
    """The point of the input: a faint companion's level is set by the noise, not by the
    peak of the central galaxy (as in png and float)."""
    rng = np.random.default_rng(0)
    noise = np.repeat(rng.normal(0, 10, (1, 65, 65)).astype(np.float32), 2, axis=0)
    noise[:, 40, 40] += 40  # a 4-sigma companion pixel
    noise[0, 32, 32] += 1000
    noise[1, 32, 32] += 100000  # a far brighter central galaxy
    snr = features.preprocess(noise, "snr")
    png = features.preprocess(noise, "png")
    assert snr[0, 40, 40, 0] == pytest.approx(snr[1, 40, 40, 0], rel=0.02)
    assert png[1, 40, 40, 0] < png[0, 40, 40, 0] / 10


@pytest.fixture(scope="module")
def noiseless():
    cfg = make_config()
    res = cfg["resources"]["cosmos_parametric"]
    source = simulate.GalaxySource(res["path"], res["file_name"], "parametric", seed=cfg["seed"])
    labels = np.arange(N_STAMPS) % 2  # isolated and blended
    images, _ = simulate.draw_chunk(0, N_STAMPS, labels, source, "parametric", cfg)
    return images


@pytest.mark.parametrize("sigma", SIGMAS)
def test_border_sigma_recovers_the_noise_of_simulated_stamps(noiseless, sigma):
    rng = np.random.default_rng(sigma)
    noisy = noiseless + rng.normal(0, sigma, noiseless.shape).astype(np.float32)
    found = features.border_sigma(noisy)
    assert abs(np.median(found) / sigma - 1) < MEDIAN_TOLERANCE
    assert np.all(np.abs(found / sigma - 1) < 3 * MEDIAN_TOLERANCE)


def test_a_bright_galaxy_on_the_border_barely_moves_the_estimate():
    rng = np.random.default_rng(1)
    sigma = 15.0
    noisy = rng.normal(0, sigma, (N_STAMPS, 65, 65)).astype(np.float32)
    yy, xx = np.mgrid[:65, :65]
    galaxy = 50 * sigma * np.exp(-((xx - 2) ** 2 + (yy - 32) ** 2) / (2 * 3.0**2))  # centred on the frame
    with_galaxy = features.border_sigma(noisy + galaxy.astype(np.float32))
    alone = features.border_sigma(noisy)
    assert np.median(with_galaxy / alone) - 1 < BORDER_BIAS
    assert np.std(noisy[:, 4:-4, 4:-4]) == pytest.approx(sigma, rel=0.01)


def test_feature_blocks_stream_a_split_as_read_features_reads_it(tmp_path):
    """Predictions at paper scale stream their features: the blocks, joined, are the split."""
    import h5py

    from blendhunter.network import features
    from blendhunter.simulation.splits import SPLIT_CODES

    rng = np.random.default_rng(3)
    n = 50
    path = tmp_path / "features.h5"
    with h5py.File(path, "w") as handle:
        handle["features"] = rng.random((n, 2, 2, 3), dtype=np.float32)
        handle["label"] = rng.integers(0, 2, n).astype(np.int8)
        handle["index"] = np.arange(n) * 3
        handle["split"] = rng.choice(list(SPLIT_CODES.values()), n).astype(np.int8)
    for split in ("test", "validation", None):
        blocks = list(features.feature_blocks(path, split, block=7))
        assert len(blocks) > 1
        joined = [np.concatenate(column) for column in zip(*blocks, strict=True)]
        for got, expected in zip(joined, features.read_features(path, split), strict=True):
            np.testing.assert_array_equal(got, expected)
