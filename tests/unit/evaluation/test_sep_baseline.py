"""blendhunter.evaluation.sep_baseline: SEP's detections labelled as the paper does,
on hand-made and real stamps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sep

from blendhunter.evaluation import sep_baseline as sb
from blendhunter.simulation import stamps

CENTRE = (32.0, 32.0)


COMPANION = (44.0, 37.0)


BLEND = np.array([CENTRE, COMPANION])


ISOLATED = np.array([CENTRE])


MERGED = sep.OBJ_MERGED


RADIUS = 2.0


def label(detections, truth, flags=None):
    """Labels from a list of (x, y) detections (flags default to 0)."""
    det = np.array(detections, dtype=float).reshape(-1, 2)
    flags = np.zeros(len(det), dtype=int) if flags is None else np.asarray(flags)
    return sb.label_detections(det[:, 0], det[:, 1], flags, truth, RADIUS)


def test_one_merged_detection_at_the_centre_of_a_blend_is_a_blend():
    verdict = label([(32.5, 31.2)], BLEND, [MERGED])
    assert verdict.label == sb.BLENDED and verdict.n_detections == 1 and verdict.n_matched == 1


def test_one_merged_detection_at_the_companion_is_a_blend():
    assert label([(43.0, 37.5)], BLEND, [MERGED]).label == sb.BLENDED


def test_merged_flag_among_other_flags_counts():
    assert label([CENTRE], BLEND, [MERGED | 2]).label == sb.BLENDED


def test_one_unmerged_detection_is_isolated():
    verdict = label([CENTRE], BLEND, [0])
    assert verdict.label == sb.ISOLATED and not verdict.failed


def test_one_merged_but_misplaced_detection_is_isolated():
    # between the two galaxies, more than 2 px from both
    assert label([(38.0, 34.5)], BLEND, [MERGED]).label == sb.ISOLATED


def test_one_merged_detection_on_an_isolated_stamp_is_a_false_blend():
    assert label([CENTRE], ISOLATED, [MERGED]).label == sb.BLENDED


def test_match_radius_is_inclusive_and_strict_beyond():
    assert label([(33.9, 32.0)], BLEND, [MERGED]).label == sb.BLENDED
    assert label([(34.1, 32.0)], BLEND, [MERGED]).label == sb.ISOLATED


def test_two_detections_matching_both_galaxies_is_a_blend():
    verdict = label([COMPANION, (31.0, 32.5)], BLEND)
    assert verdict.label == sb.BLENDED and verdict.n_matched == 2


def test_two_detections_one_misplaced_is_isolated():
    assert label([CENTRE, (20.0, 10.0)], BLEND).label == sb.ISOLATED


def test_two_detections_on_the_same_galaxy_match_once():
    verdict = label([CENTRE, (33.0, 32.5)], BLEND)
    assert verdict.n_matched == 1 and verdict.label == sb.ISOLATED


def test_two_detections_on_an_isolated_stamp_are_isolated():
    assert label([CENTRE, COMPANION], ISOLATED).label == sb.ISOLATED


def test_matching_is_maximal_not_greedy():
    # A is nearest g1 but is the only detection able to reach g2; B reaches g1 only.
    truth = np.array([(32.0, 32.0), (35.0, 32.0)])
    a, b = (33.2, 32.0), (30.5, 32.0)
    assert sb.n_matched(np.array([a, b]), truth, RADIUS) == 2
    assert sb.n_matched(np.array([b, a]), truth, RADIUS) == 2
    assert label([a, b], truth).label == sb.BLENDED


def test_more_than_two_with_both_galaxies_matched_is_a_blend():
    verdict = label([(5.0, 5.0), COMPANION, CENTRE, (60.0, 3.0)], BLEND)
    assert verdict.label == sb.BLENDED and verdict.n_detections == 4


def test_more_than_two_with_one_galaxy_matched_is_a_failure():
    verdict = label([CENTRE, (5.0, 5.0), (60.0, 3.0)], BLEND)
    assert verdict.failed and verdict.label is None and verdict.n_detections == 3


def test_more_than_two_on_an_isolated_stamp_with_the_centre_is_a_blend():
    assert label([CENTRE, (5.0, 5.0), (60.0, 3.0)], ISOLATED).label == sb.BLENDED


def test_more_than_two_with_nothing_matched_is_a_failure():
    assert label([(5.0, 5.0), (60.0, 3.0), (10.0, 50.0)], ISOLATED).failed


def test_no_detection_is_a_failure():
    verdict = label([], BLEND)
    assert verdict.failed and verdict.n_detections == 0


def test_true_positions_of_isolated_and_blended_stamps():
    iso = {"label": 0, "x1": 32.0, "y1": 32.0, "x2": np.nan, "y2": np.nan}
    blend = {"label": 1, "x1": 32.0, "y1": 32.0, "x2": 40.0, "y2": 30.0}
    assert sb.true_positions(iso).tolist() == [[32.0, 32.0]]
    assert sb.true_positions(blend).tolist() == [[32.0, 32.0], [40.0, 30.0]]


def test_params_from_the_config(tiny_config):
    params = sb.SepParams.from_config(tiny_config["sep"])
    assert (params.thresh, params.minarea, params.deblend_nthresh) == (1.5, 5, 32)
    assert (params.deblend_cont, params.match_radius, params.filter_kernel) == (0.005, 2.0, "default")


SIGMA = 5.0


def blob(xy, flux=3000.0, width=2.0, size=65):
    yy, xx = np.mgrid[:size, :size]
    r2 = (xx - xy[0]) ** 2 + (yy - xy[1]) ** 2
    return flux / (2 * np.pi * width**2) * np.exp(-r2 / (2 * width**2))


def noisy(image, seed=0):
    return (image + np.random.default_rng(seed).normal(0, SIGMA, image.shape)).astype(np.float32)


def sep_label(image, truth, params=None):
    return sb.label_stamp(image, SIGMA, truth, params or sb.SepParams())


def test_sep_on_an_isolated_galaxy():
    verdict = sep_label(noisy(blob(CENTRE)), ISOLATED)
    assert verdict.label == sb.ISOLATED and verdict.n_detections == 1 and verdict.n_matched == 1


def test_sep_on_a_distant_blend():
    verdict = sep_label(noisy(blob(CENTRE) + blob(COMPANION)), BLEND)
    assert verdict.label == sb.BLENDED and verdict.n_detections == 2


def test_sep_deblends_a_close_pair_and_flags_it_merged():
    truth = np.array([CENTRE, (38.0, 32.0)])
    image = noisy(blob(CENTRE) + blob(truth[1]))
    objects = sb.detect(image, SIGMA, sb.SepParams())
    assert len(objects) == 2 and np.all(objects["flag"] & sep.OBJ_MERGED)
    assert sep_label(image, truth).label == sb.BLENDED


def test_sep_misses_a_very_close_pair():
    # 3 px apart: one unflagged detection at the barycentre -> isolated (a SEP miss)
    truth = np.array([CENTRE, (35.0, 32.0)])
    verdict = sep_label(noisy(blob(CENTRE) + blob(truth[1])), truth)
    assert verdict.n_detections == 1 and verdict.label == sb.ISOLATED


def test_sep_on_an_empty_stamp_fails():
    verdict = sep_label(np.zeros((65, 65), dtype=np.float32), ISOLATED)
    assert verdict.failed and verdict.n_detections == 0


def test_threshold_is_relative_to_the_noise_sigma():
    faint = noisy(blob(CENTRE, flux=150.0), seed=3)  # peak ~6 counts
    assert len(sb.detect(faint, 1.0, sb.SepParams())) >= 1  # 1.5 counts threshold
    assert len(sb.detect(faint, 50.0, sb.SepParams())) == 0  # 75 counts threshold


def test_no_filter_option_runs():
    verdict = sep_label(noisy(blob(CENTRE)), ISOLATED, sb.SepParams(filter_kernel="none"))
    assert verdict.n_detections >= 1


def test_sep_error_is_a_failure(monkeypatch):
    def boom(*args, **kwargs):
        raise Exception("object deblending overflow")

    monkeypatch.setattr(sb.sep, "extract", boom)
    verdict = sep_label(noisy(blob(CENTRE)), ISOLATED)
    assert verdict.failed and verdict.n_detections == -1


def test_label_set_on_a_stamp_file(tmp_path):
    """label_set reads a stamp file, uses its sigma and writes the contract's columns."""
    truth = [
        (0, CENTRE, (np.nan, np.nan)),
        (1, CENTRE, COMPANION),
        (1, CENTRE, (35.0, 32.0)),
        (0, (np.nan, np.nan), (np.nan, np.nan)),  # empty stamp: failure
    ]
    images = []
    for i, (lab, c1, c2) in enumerate(truth):
        image = np.zeros((65, 65))
        if not np.isnan(c1[0]):
            image += blob(c1)
        if lab:
            image += blob(c2)
        images.append(noisy(image, seed=i) if i < 3 else image)
    columns = {
        "label": np.array([t[0] for t in truth]),
        "x1": np.array([CENTRE[0]] * 4),
        "y1": np.array([CENTRE[1]] * 4),
        "x2": np.array([t[2][0] for t in truth]),
        "y2": np.array([t[2][1] for t in truth]),
        "split": np.full(4, 2),
    }
    path = tmp_path / "stamps.h5"
    stamps.write_images(path, np.array(images), columns, {"sigma": SIGMA})
    stamp_set = stamps.StampSet(path)
    out = sb.label_set(stamp_set, stamp_set.indices("test"), sb.SepParams(), batch_size=3)
    assert list(out.columns) == list(sb.SEP_COLUMNS)
    assert out["index"].tolist() == [0, 1, 2, 3]
    assert out["label"].tolist() == ["isolated", "blended", "isolated", ""]
    assert out["failed"].tolist() == [0, 0, 0, 1]
    summary = sb.describe(out)
    assert summary["failed"] == 1 and summary["blended"] == 1 and summary["isolated"] == 2


def test_label_set_needs_a_sigma(tmp_path):
    path = tmp_path / "stamps.h5"
    columns = {"label": np.array([0]), "x1": [32.0], "y1": [32.0], "x2": [np.nan], "y2": [np.nan]}
    stamps.write_images(path, np.zeros((1, 65, 65)), columns, {"kind": "user"})
    with pytest.raises(ValueError, match="sigma"):
        sb.label_set(stamps.StampSet(path), [0], sb.SepParams())


def test_describe_counts():
    frame = pd.DataFrame(
        {
            "index": [0, 1, 2],
            "label": ["blended", "", "isolated"],
            "n_detections": [2, 0, 1],
            "n_matched": [2, 0, 1],
            "failed": [0, 1, 0],
        }
    )
    summary = sb.describe(frame)
    assert summary["detections"] == {0: 1, 1: 1, 2: 1}
    assert summary["failed_fraction"] == pytest.approx(1 / 3)
