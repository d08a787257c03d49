"""The CNN's input recipe, by hand, and its architecture."""

import numpy as np
import pytest

from blendhunter.network import cnn
from blendhunter.network.features import BORDER


def hand_made_stamp() -> np.ndarray:
    """65x65: the central 51x51's 4-px frame alternates +-1 (median 0, MAD 1, so the border
    sigma is 1.4826); inside it a few chosen values; the 7-px padding is 1000 (cut away)."""
    stamp = np.full((65, 65), 1000.0, np.float32)
    inner = np.where(np.indices((51, 51)).sum(axis=0) % 2 == 0, 1.0, -1.0).astype(np.float32)
    inner[BORDER:-BORDER, BORDER:-BORDER] = 0.0
    inner[25, 25], inner[25, 26], inner[25, 27] = 100.0, 14.826, -10.0
    stamp[7:-7, 7:-7] = inner
    return stamp


def test_the_input_is_the_central_stamp_over_its_border_noise_clipped_and_scaled():
    x = cnn.cnn_input(hand_made_stamp()[None], 51)
    assert x.shape == (1, 51, 51, 1) and x.dtype == np.float32
    assert x[0, 25, 25, 0] == pytest.approx(3.0)  # 100 / 1.4826 = 67 -> clipped to 30 -> / 10
    assert x[0, 25, 26, 0] == pytest.approx(1.0, rel=1e-4)  # 14.826 / 1.4826 = 10 -> 1
    assert x[0, 25, 27, 0] == pytest.approx(-0.3)  # -10 / 1.4826 = -6.7 -> clipped to -3
    assert x[0, 0, 0, 0] == pytest.approx(1 / 1.4826 / 10, rel=1e-4)
    assert x[0, 20, 20, 0] == 0.0


def test_the_same_stamp_in_other_units_gives_the_same_input():
    stamp = hand_made_stamp()[None]
    np.testing.assert_allclose(cnn.cnn_input(stamp * 37.0, 51), cnn.cnn_input(stamp, 51), rtol=1e-5)


def test_a_stamp_smaller_than_the_input_is_refused():
    with pytest.raises(ValueError, match="no central 51x51"):
        cnn.cnn_input(np.zeros((1, 41, 41)), 51)


def test_a_pool_after_every_second_convolution_and_the_last():
    settings = {"filters": [4, 4, 8, 8, 16], "dense": 8, "dropout": 0.2}
    model = cnn.build_cnn(settings, 51, seed=1)
    pools = [layer.name for layer in model.layers if "pooling2d" in layer.__class__.__name__.lower()]
    assert len(pools) == 4  # three max-pools and the global average pooling
    assert model.output_shape == (None, 1)
    assert model.layers[-4].output.shape[1:] == (16,)  # global average pooling of the last filters


def test_flops_count_vgg16_as_its_measured_2_52_gflop_per_stamp():
    from blendhunter.network.features import INPUT_SIZE, VGG16_PLAN

    assert cnn.conv_flops(VGG16_PLAN, INPUT_SIZE, 3) / 1e9 == pytest.approx(2.52, abs=0.005)
    # by hand: 51x51x9x(1x32 + 32x32), 25x25x9x(32x64 + 64x64), 12x12x9x64x128 multiply-adds
    by_hand = 2 * 9 * (51 * 51 * (32 + 1024) + 25 * 25 * (2048 + 4096) + 12 * 12 * 64 * 128)
    assert cnn.conv_flops(cnn.plan([32, 32, 64, 64, 128]), 51, 1) == by_hand
