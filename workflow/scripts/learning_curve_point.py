"""Rule learning_curve_point: a model of the run's kind (a head on the set's features, or a
CNN on its stamps) trained on the first n stamps of a nested training subset, scored with
SEP on the set's test split and on the realistic set."""

import logging

from blendhunter.evaluation import learning_curve, metrics
from blendhunter.logs import run
from blendhunter.network import features, models, training
from blendhunter.simulation import seeds
from blendhunter.simulation.splits import members
from blendhunter.simulation.stamps import read_meta


def bh_labels(trained, source, split, threshold):
    logit, _, indices = trained.score(source, split)
    return training.predictions_frame(indices, logit, threshold)


def main(smk):
    inp, p = smk.input, smk.params
    features.configure_threads(smk.threads)
    sigma, realisation, n = float(smk.wildcards.sigma), int(smk.wildcards.realisation), int(smk.wildcards.n)
    source, realistic = models.source(inp), models.source(inp, "realistic_")
    x_train, y_train = models.training_split(p.kind, source, "train", p.size)
    keep = learning_curve.nested_subset(len(y_train), n, smk.config["seed"], sigma, realisation)
    x_val, y_val = models.training_split(p.kind, source, "validation", p.size)
    seed = seeds.integer_seed(
        smk.config["seed"], seeds.LEARNING_CURVE, seeds.sigma_key(sigma), realisation, n
    )
    trained, result = models.train(
        p.kind, x_train[keep], y_train[keep], x_val, y_val, p.training, seed, p.size
    )
    logging.getLogger(__name__).info(
        "%s, n_train %d: best epoch %d of %d", p.kind, len(keep), result.best_epoch, len(result.history)
    )

    parametric_meta = read_meta(inp.parametric_set)
    test = members(parametric_meta, "test")
    truths = {
        "parametric": metrics.truth_frame(parametric_meta, test),
        "realistic": metrics.truth_frame(read_meta(inp.realistic_set)),
    }
    labels = {
        ("blendhunter", "parametric"): bh_labels(trained, source, "test", p.threshold),
        ("sep", "parametric"): metrics.read_labels(inp.sep_parametric),
        ("blendhunter", "realistic"): bh_labels(trained, realistic, None, p.threshold),
        ("sep", "realistic"): metrics.read_labels(inp.sep_realistic),
    }
    predictions = {key: metrics.align(truths[key[1]], frame, str(key)) for key, frame in labels.items()}
    table = metrics.set_metrics(
        parametric_truth=truths["parametric"],
        realistic_truth=truths["realistic"],
        predictions=predictions,
        sigma=sigma,
        realisation=realisation,
        realistic_sigma=float(p.realistic_sigma),
        close_separation=float(p.close_separation),
    )
    metrics.write_csv(learning_curve.point_rows(table, len(keep)), smk.output[0])


run(main, snakemake)  # noqa: F821
