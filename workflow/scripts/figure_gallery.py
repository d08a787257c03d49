"""Rule figure_gallery: example realistic stamps as the network sees them.

Isolated, close and distant blends, and stamps BlendHunter gets wrong (the
head trained nearest the realistic sigma, the first realisation), with the true
galaxy positions and SEP's detections marked.
"""

import numpy as np

from blendhunter.evaluation import metrics, plots, sep_baseline
from blendhunter.logs import run
from blendhunter.network.features import to_png_levels
from blendhunter.simulation.stamps import StampSet


def main(smk):
    stamp_set = StampSet(smk.input.stamps)
    truth = metrics.truth_frame(stamp_set.meta)
    predictions = metrics.read_labels(smk.input.predictions[0])
    bh = metrics.align(truth, predictions, smk.input.predictions[0])
    examples = plots.select_gallery(truth, bh, smk.params.close_separation, smk.params.per_row)
    indices = np.unique(examples["index"].to_numpy())
    noisy = stamp_set.images(indices)
    images = dict(zip(indices.tolist(), to_png_levels(noisy), strict=True))

    params = sep_baseline.SepParams.from_config(smk.params.sep)
    detections = {}
    for index, image in zip(indices.tolist(), noisy, strict=True):
        objects = sep_baseline.detect(image, stamp_set.sigma, params)
        detections[index] = list(zip(objects["x"], objects["y"], strict=True))
    sep_labels = metrics.read_labels(smk.input.sep).set_index("index")["label"].fillna("")
    p_blend = predictions.set_index("index")["p_blend"]
    meta = stamp_set.meta
    examples = examples.assign(
        p_blend=p_blend.loc[examples["index"]].to_numpy(),
        sep_label=sep_labels.loc[examples["index"]].to_numpy(),
        detections=[detections[i] for i in examples["index"]],
        **{c: meta[c].to_numpy()[examples["index"].to_numpy()] for c in ("x1", "y1", "x2", "y2")},
    )
    title = (
        f"Realistic stamps (σ = {stamp_set.sigma:g}); BlendHunter trained at σ = "
        f"{smk.params.train_sigma}, realisation {smk.params.realisation}"
    )
    fig = plots.gallery(examples, images, smk.params.per_row, params.match_radius, title)
    plots.save(fig, [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
