"""Rule sep_comparison: BlendHunter against SEP per head and subset, SEP's failures both
ways, combined uncertainties, a bootstrap over real galaxies and a matched operating point."""

import pandas as pd

from blendhunter.evaluation import comparison, metrics
from blendhunter.evaluation.scores import read_ranked_scores
from blendhunter.logs import run
from blendhunter.simulation import seeds
from blendhunter.simulation.stamps import read_meta
from blendhunter.workflow import layout


def sep_labels(truth, path):
    return metrics.align(truth, metrics.read_labels(path), str(path))


def main(smk):
    inp, p = smk.input, smk.params
    realistic_groups = read_meta(inp.realistic_set)["id1"].to_numpy()
    frames = []
    names = ("parametric_sets", "bh_parametric", "bh_realistic", "sep_parametric")
    for (sigma, r), paths in layout.by_set(inp, names).items():
        stamps, bh_test, bh_real, sep_test = (paths[n] for n in names)
        ids = {"train_sigma": float(sigma), "realisation": int(r)}
        _, p_test, rank_test, truth_test = read_ranked_scores(stamps, bh_test, "test")
        _, p_real, rank_real, truth_real = read_ranked_scores(inp.realistic_set, bh_real)
        real_groups = realistic_groups[truth_real.index]
        for dataset, truth, p_blend, rank, sep_path, groups in (
            ("parametric", truth_test, p_test, rank_test, sep_test, None),
            ("realistic", truth_real, p_real, rank_real, inp.sep_realistic, real_groups),
        ):
            frames.append(
                comparison.compare(
                    truth,
                    p_blend,
                    sep_labels(truth, sep_path),
                    p.threshold,
                    p.close_separation,
                    groups=groups,
                    seed=seeds.integer_seed(smk.config["seed"], seeds.BOOTSTRAP),
                    logit=rank,
                    dataset=dataset,
                    **ids,
                )  # fmt: skip
            )
    table = pd.concat(frames, ignore_index=True)
    metrics.write_csv(table, smk.output.per_head)
    metrics.write_csv(comparison.summarise(table), smk.output.summary)


run(main, snakemake)  # noqa: F821
