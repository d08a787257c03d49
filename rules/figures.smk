# The paper's result figures (Figs. 3-6) and an example gallery, PNG + PDF,
# registered with report() for `snakemake --report report.html`.

# The gallery shows the head trained at the sigma nearest the realistic set's.


rule figure_separation:
    input:
        layout.TABLES["separation"],
    output:
        png=report(
            layout.FIGURES["separation"] + ".png",
            caption="../report/fig_accuracy_vs_separation.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 3 accuracy vs separation"},
        ),
        pdf=layout.FIGURES["separation"] + ".pdf",
    log:
        "results/logs/figures/accuracy_vs_separation.log",
    benchmark:
        "results/benchmarks/figures/accuracy_vs_separation.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        close_separation=config["stamp"]["close_separation"],
    script:
        "../workflow/scripts/figure_separation.py"


rule figure_noise:
    input:
        layout.TABLES["parametric"],
    output:
        png=report(
            layout.FIGURES["noise"] + ".png",
            caption="../report/fig_accuracy_vs_noise.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 4 accuracy vs noise"},
        ),
        pdf=layout.FIGURES["noise"] + ".pdf",
    log:
        "results/logs/figures/accuracy_vs_noise.log",
    benchmark:
        "results/benchmarks/figures/accuracy_vs_noise.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/figure_noise.py"


rule figure_relative:
    input:
        layout.TABLES["realistic"],
    output:
        png=report(
            layout.FIGURES["relative"] + ".png",
            caption="../report/fig_relative_accuracy.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 5 relative accuracy, realistic set"},
        ),
        pdf=layout.FIGURES["relative"] + ".pdf",
    log:
        "results/logs/figures/relative_accuracy_realistic.log",
    benchmark:
        "results/benchmarks/figures/relative_accuracy_realistic.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        realistic_sigma=config["realistic"]["sigma"],
    script:
        "../workflow/scripts/figure_relative.py"


rule figure_confusion:
    input:
        layout.TABLES["realistic"],
    output:
        png=report(
            layout.FIGURES["confusion"] + ".png",
            caption="../report/fig_confusion.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 6 TPR and TNR, realistic set"},
        ),
        pdf=layout.FIGURES["confusion"] + ".pdf",
    log:
        "results/logs/figures/confusion_realistic.log",
    benchmark:
        "results/benchmarks/figures/confusion_realistic.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        realistic_sigma=config["realistic"]["sigma"],
    script:
        "../workflow/scripts/figure_confusion.py"


rule figure_gallery:
    input:
        stamps=layout.REALISTIC_SET,
        noiseless=layout.REALISTIC_MASTER,
        predictions=expand(
            layout.PREDICTIONS_REALISTIC, sigma=NEAREST_SIGMA, realisation=0
        ),
        sep=layout.SEP_REALISTIC,
    output:
        png=report(
            layout.FIGURES["gallery"] + ".png",
            caption="../report/fig_gallery.rst",
            category="Figures",
            subcategory="Examples",
            labels={"figure": "example stamps, realistic set"},
        ),
        pdf=layout.FIGURES["gallery"] + ".pdf",
    log:
        "results/logs/figures/gallery.log",
    benchmark:
        "results/benchmarks/figures/gallery.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        train_sigma=NEAREST_SIGMA,
        per_row=config["figures"]["gallery_examples"],
        close_separation=config["stamp"]["close_separation"],
        sep=config["sep"],
    script:
        "../workflow/scripts/figure_gallery.py"
