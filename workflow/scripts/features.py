"""Rules parametric_features, realistic_features: VGG-16 bottleneck features to HDF5."""

from blendhunter.io import md5sum
from blendhunter.logs import run
from blendhunter.network import engine, features
from blendhunter.simulation import seeds
from blendhunter.simulation.stamps import StampSet


def main(smk):
    cfg = smk.params.features
    layer = cfg["layer"]
    engine_model = getattr(smk.input, "engine_model", None)
    infer = engine.load(cfg["engine"], smk.input.weights, cfg["precision"], smk.threads, engine_model, layer)
    stamp_set = StampSet(smk.input.stamps)
    realisation = int(stamp_set.attrs.get("realisation", 0))
    features.write_features(
        stamp_set,
        smk.output[0],
        infer,
        method=cfg["preprocessing"],
        batch_size=cfg["batch_size"],
        attrs={
            "weights": cfg["weights"],
            "engine": cfg["engine"],
            "precision": cfg["precision"],
            "stamps_file": str(smk.input.stamps),
            "sigma": stamp_set.sigma,
            "realisation": realisation,
            "vgg16_weights_md5": md5sum(smk.input.weights),
        },
        augment_cfg=cfg["augment"],
        layer=layer,
        first=getattr(smk.params, "first", None),
        augment_seed=seeds.integer_seed(
            smk.config["seed"], seeds.AUGMENT, seeds.sigma_key(stamp_set.sigma), realisation
        ),
    )


run(main, snakemake)  # noqa: F821
