"""Every generated part of the README and docs, rewritten from the committed bundles
(`make docs`) or checked against them (`make docs-check`, and a test): each is a section
between markers, so the prose around it stays hand-written."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from blendhunter.maintainer import config_readme, publish, surveys

BUNDLES = ("docs/reference", "docs/default", "docs/reference-block3_pool")
VARIANTS = ("png", "block4_pool", "block3_pool", "snr")
# Each model kind trained on the paper's stamps, then off-centre with random PSFs
ROBUST_BUNDLES = (
    "default",
    "default-robust",
    "default-block3_pool",
    "default-block3_pool-robust",
    "default-cnn",
    "default-cnn-robust",
)


@dataclass(frozen=True)
class Section:
    doc: str  # from the repository root
    begin: str
    end: str
    rows: Callable[..., list[str]]
    paths: tuple[str, ...]  # the rows' arguments, relative to the doc's folder (so links are)


SECTIONS = (
    Section(
        "README.md",
        publish.HEADLINE_BEGIN,
        publish.HEADLINE_END,
        publish.headline_rows,
        (
            "docs/reference",
            "docs/reference-block3_pool",
            "docs/reference-cnn",
            "docs/default-cnn",
            "docs/default-cnn-centring",
            "docs/default-cnn-robust",
        ),
    ),
    Section(
        "docs/science.md",
        publish.CNN_BEGIN,
        publish.CNN_END,
        publish.cnn_rows,
        ("default", "default-cnn", "default-cnn-centring", "default-cnn-robust"),
    ),
    Section(
        "docs/science.md",
        publish.ROBUST_BEGIN,
        publish.ROBUST_END,
        lambda *folders: publish.side_by_side(list(folders)),
        ROBUST_BUNDLES,
    ),
    Section(
        "docs/results.md",
        publish.RESULTS_BEGIN,
        publish.RESULTS_END,
        publish.results_rows,
        ("reference", "default", f"../{publish.BENCHMARK_JSON}", "reference-block3_pool", "reference-cnn"),
    ),
    Section(
        "docs/results.md",
        publish.SCALE_BEGIN,
        publish.SCALE_END,
        lambda *folders: publish.scale_rows(list(folders)),
        ("paper-scale", "reference"),
    ),
    Section(
        "docs/science.md",
        publish.VARIANTS_BEGIN,
        publish.VARIANTS_END,
        lambda *folders: publish.variant_rows(list(folders)),
        tuple(f"variants/{name}" for name in VARIANTS),
    ),
    Section(
        "docs/performance.md",
        publish.PRECISION_BEGIN,
        publish.PRECISION_END,
        lambda reference, *folders: publish.precision_rows(reference, list(folders)),
        ("reference", "variants/bfloat16", "variants/int8"),
    ),
    Section(
        "docs/surveys.md",
        surveys.PRESETS_BEGIN,
        surveys.PRESETS_END,
        surveys.preset_rows,
        ("../config/surveys", "../config/config.yaml"),
    ),
    Section(
        "docs/surveys.md", surveys.MEASURED_BEGIN, surveys.MEASURED_END, surveys.measured_rows, ("surveys",)
    ),
    Section("docs/surveys.md", surveys.PROOF_BEGIN, surveys.PROOF_END, surveys.proof_rows, ("surveys",)),
    Section(
        "docs/surveys.md", surveys.CROWDING_BEGIN, surveys.CROWDING_END, surveys.crowding_rows, ("surveys",)
    ),
    Section(
        "docs/science.md",
        surveys.PSF_SHIFT_BEGIN,
        surveys.PSF_SHIFT_END,
        surveys.psf_shift_rows,
        ("psf-shift/psf_shift.json",),
    ),
    Section(
        "docs/science.md",
        surveys.IMAGE_OFFSETS_BEGIN,
        surveys.IMAGE_OFFSETS_END,
        surveys.image_offset_rows,
        ("centring/classify_image_offsets.json",),
    ),
    Section(
        "docs/paper-scale/README.md",
        publish.COST_BEGIN,
        publish.COST_END,
        lambda folder: [*publish.cost_rows(folder), "", *publish.disk_rows(folder)],
        (".",),
    ),
)
CONFIG_README = "config/README.md"


def generated(root: Path) -> dict[Path, str]:
    """What every generated file should read, from the committed bundles under `root`."""
    texts: dict[Path, str] = {}
    for section in SECTIONS:
        doc = root / section.doc
        text = texts.get(doc, doc.read_text())
        with contextlib.chdir(doc.parent):
            rows = section.rows(*map(Path, section.paths))
        texts[doc] = publish.replace_between(text, section.begin, section.end, rows)
    texts[root / CONFIG_README] = config_readme.reference_markdown(root / "config" / "config.yaml")
    texts.update(survey_presets(root))
    return texts


def survey_presets(root: Path) -> dict[Path, str]:
    """config/surveys/<survey>-<band>.yaml, from surveycodex and the default's PSF recipe."""
    import yaml

    from blendhunter.workflow import presets

    default = yaml.safe_load((root / "config" / "config.yaml").read_text())
    return {root / presets.FOLDER / f"{b.name}.yaml": presets.layer_yaml(b, default) for b in presets.bands()}


def regenerate(root: Path, check: bool = False) -> list[Path]:
    """The files whose generated parts differ from the bundles: rewritten, or with `check`
    only listed."""
    stale = {
        path: text for path, text in generated(root).items() if not path.is_file() or path.read_text() != text
    }
    if not check:
        for path, text in stale.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return list(stale)
