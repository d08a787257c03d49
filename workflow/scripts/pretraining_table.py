"""Rule pretraining_table: heads on ImageNet vs randomly initialised VGG-16 features
(blendhunter.evaluation.pretraining), as a table and a figure."""

from blendhunter.evaluation import metrics, plots, pretraining
from blendhunter.logs import run
from blendhunter.workflow import layout


def main(smk):
    inp = smk.input
    table = pretraining.ablation_table(
        layout.by_set(inp, pretraining.SET_INPUTS),
        inp.realistic_set,
        inp.sep_realistic,
        smk.params.realistic_stamps,
        float(smk.params.close_separation),
    )
    metrics.write_csv(table, smk.output.table)
    plots.save(plots.pretraining(table, float(smk.params.sigma)), [smk.output.png, smk.output.pdf])


run(main, snakemake)  # noqa: F821
