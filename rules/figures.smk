# The paper's result figures (Figs. 3-6) and an example gallery, PNG + PDF,
# registered with report() for `snakemake --report report.html`.

# The gallery shows the head trained at the sigma nearest the realistic set's.


rule figure_separation:
    input:
        paths.TABLES["separation"],
    output:
        png=report(
            paths.FIGURES["separation"] + ".png",
            caption="../report/fig_accuracy_vs_separation.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 3 accuracy vs separation"},
        ),
        pdf=paths.FIGURES["separation"] + ".pdf",
    log:
        paths.log("figures/accuracy_vs_separation"),
    benchmark:
        paths.benchmark("figures/accuracy_vs_separation")
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
        paths.TABLES["parametric"],
    output:
        png=report(
            paths.FIGURES["noise"] + ".png",
            caption="../report/fig_accuracy_vs_noise.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 4 accuracy vs noise"},
        ),
        pdf=paths.FIGURES["noise"] + ".pdf",
    log:
        paths.log("figures/accuracy_vs_noise"),
    benchmark:
        paths.benchmark("figures/accuracy_vs_noise")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    script:
        "../workflow/scripts/figure_noise.py"


rule figure_relative:
    input:
        paths.TABLES["realistic"],
    output:
        png=report(
            paths.FIGURES["relative"] + ".png",
            caption="../report/fig_relative_accuracy.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 5 relative accuracy, realistic set"},
        ),
        pdf=paths.FIGURES["relative"] + ".pdf",
    log:
        paths.log("figures/relative_accuracy_realistic"),
    benchmark:
        paths.benchmark("figures/relative_accuracy_realistic")
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
        paths.TABLES["realistic"],
    output:
        png=report(
            paths.FIGURES["confusion"] + ".png",
            caption="../report/fig_confusion.rst",
            category="Figures",
            subcategory="Paper figures",
            labels={"figure": "Fig. 6 TPR and TNR, realistic set"},
        ),
        pdf=paths.FIGURES["confusion"] + ".pdf",
    log:
        paths.log("figures/confusion_realistic"),
    benchmark:
        paths.benchmark("figures/confusion_realistic")
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
        stamps=paths.REALISTIC_SET,
        noiseless=paths.REALISTIC_MASTER,
        predictions=expand(
            paths.PREDICTIONS_REALISTIC,
            sigma=NEAREST_SIGMA,
            realisation=REALISATIONS[0],
        ),
        sep=paths.SEP_REALISTIC,
    output:
        png=report(
            paths.FIGURES["gallery"] + ".png",
            caption="../report/fig_gallery.rst",
            category="Figures",
            subcategory="Examples",
            labels={"figure": "example stamps, realistic set"},
        ),
        pdf=paths.FIGURES["gallery"] + ".pdf",
    log:
        paths.log("figures/gallery"),
    benchmark:
        paths.benchmark("figures/gallery")
    conda:
        CONDA_ENV
    resources:
        mem_mb=layout.SMALL_JOB_MB,
        runtime=10,
    params:
        train_sigma=NEAREST_SIGMA,
        realisation=REALISATIONS[0],
        per_row=config["figures"]["gallery_examples"],
        close_separation=config["stamp"]["close_separation"],
        sep=config["sep"],
    script:
        "../workflow/scripts/figure_gallery.py"
