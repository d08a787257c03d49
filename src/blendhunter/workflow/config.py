"""Loading and validating the workflow configuration.

Validation runs before any job, so a bad value stops the workflow with one
message naming the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import yaml

from blendhunter.errors import ConfigError
from blendhunter.network import engine
from blendhunter.network.features import INPUT_SIZE

SIGMA_WILDCARD = r"[0-9]+(\.[0-9]+)?"  # the {sigma} wildcard of every output path
KINDS = ("parametric", "realistic")  # the simulated sets


def sigma_label(sigma: float) -> str:
    """'15' for 15 and 15.0, '14.5' for 14.5: the {sigma} wildcard's form."""
    return f"{float(sigma):g}"


def _check_sigma_labels(sigmas: list, key: str = "parametric.sigmas") -> list[str]:
    """Each noise level (or offset) must name its own files: labels unique and path-safe."""
    labels = [sigma_label(s) for s in sigmas]
    problems = [
        f"{key}: {s!r} gives the file label {label!r}; use a plain decimal such as 15 or 14.5"
        for s, label in zip(sigmas, labels, strict=True)
        if not re.fullmatch(SIGMA_WILDCARD, label)
    ]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        problems.append(
            f"{key}: {sigmas} gives the same file label {repeated} to several values; "
            "give each once, with at most 6 significant digits"
        )
    return problems


def schema() -> dict:
    text = resources.files("blendhunter").joinpath("schema/config.schema.yaml").read_text()
    return yaml.safe_load(text)


def merge(base: dict, override: dict) -> dict:
    """Deep-merge override into a copy of base, as Snakemake does for --configfile."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load(*paths: str | Path) -> dict:
    """Read and merge YAML config files (later files override), then validate."""
    config: dict = {}
    for path in paths:
        with open(path) as handle:
            config = merge(config, yaml.safe_load(handle) or {})
    validate(config)
    return config


def _as_yaml(value) -> str:
    """A value as the user wrote it in YAML (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _key_path(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    key = _key_path(error)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hint = f"allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"{key}: unknown key(s) {', '.join(map(repr, unknown))}; {hint}"
    if error.validator == "required":
        return f"{key}: {error.message} (see config/config.yaml for its default)"
    if error.validator == "enum":
        choices = ", ".join(map(_as_yaml, error.validator_value))
        return f"{key}: {_as_yaml(error.instance)} is not allowed; choose one of {choices}"
    limits = {
        "minimum": ">=",
        "exclusiveMinimum": ">",
        "maximum": "<=",
        "exclusiveMaximum": "<",
    }
    # A value of one of several forms (a count or a list): the form its type matches says why.
    same_type = [e for e in error.context or () if e.validator != "type"]
    if error.validator in ("oneOf", "anyOf") and same_type:
        best = jsonschema.exceptions.best_match(same_type)
        return f"{_describe(best)} (see config/README.md)"
    if error.validator in limits:
        why = error.schema.get("description") if error.validator == "maximum" else None
        reason = f" ({why})" if why else ""
        return f"{key}: {error.instance!r} must be {limits[error.validator]} {error.validator_value}{reason}"
    return f"{key}: {error.message}"


def _check_consistency(config: dict) -> list[str]:
    """Rules a JSON schema cannot express."""
    problems = []
    randomisations = {f"{kind}.psf_randomisation": config[kind].get("psf_randomisation") for kind in KINDS}
    variants = config["psf_shift_test"]["variants"]
    randomisations |= {f"psf_shift_test.variants[{i}].psf": v["psf"] for i, v in enumerate(variants)}
    for where, randomisation in randomisations.items():
        for key in ("fwhm_scale", "moffat_beta"):
            low, high = (randomisation or {}).get(key, (0, 0))
            if low > high:
                problems.append(f"{where}.{key}: [{low}, {high}] is not [low, high]; swap them")
    names = [v["name"] for v in variants]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"psf_shift_test.variants: the name {name!r} is used twice; names label the sets")
    split = config["parametric"]["split"]
    total = split["train"] + split["validation"] + split["test"]
    if abs(total - 1) > 1e-9:
        problems.append(f"parametric.split: fractions sum to {total:g}; they must sum to 1")
    stamp = config["stamp"]
    if stamp["size"] % 2 == 0:
        problems.append(f"stamp.size: {stamp['size']} must be odd (the centre is a pixel)")
    side = stamp["size"] + 2 * stamp["pad"]
    if side != INPUT_SIZE:
        problems.append(
            f"stamp.size + 2 x stamp.pad is {side}; VGG-16 here takes {INPUT_SIZE}x{INPUT_SIZE} "
            f"stamps: choose pad = ({INPUT_SIZE} - size) / 2, e.g. size 51 with pad 7"
        )
    problems += _check_sigma_labels(config["parametric"]["sigmas"])
    sigmas = {float(s) for s in config["parametric"]["sigmas"]}
    for key in config["training"]["overrides"]:
        if float(key) not in sigmas:
            problems.append(
                f"training.overrides.{key}: no such noise level; parametric.sigmas is "
                f"{config['parametric']['sigmas']}"
            )
    from blendhunter.workflow.layout import realisations as listed

    curve, realisations = config["learning_curve"]["realisation"], listed(config)
    if curve not in realisations:
        problems.append(
            f"learning_curve.realisation: {curve} is not one of parametric.realisations {realisations}"
        )
    problems += _check_sigma_labels(config["centring_test"]["radii"], "centring_test.radii")
    features = config["features"]
    if features["weights"] == "random" and config["pretraining"]["compare_random"]:
        problems.append(
            "pretraining.compare_random: the campaign's features already come from random "
            "weights (features.weights: random); set compare_random: false, or weights: imagenet"
        )
    try:
        engine.check_supported(features["engine"], features["precision"])
    except engine.EngineError as err:
        problems.append(str(err))
    return problems


def validate(config: dict) -> None:
    """Raise ConfigError listing every problem, each naming its key."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    problems = [_describe(e) for e in errors]
    if not problems:
        problems = _check_consistency(config)
    if problems:
        raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))


def digest(section: dict) -> str:
    """A stable SHA-256 of a config section, recorded in the outputs it made."""
    blob = json.dumps(section, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def simulation_section(config: dict, kind: str) -> dict:
    """The part of the config that determines a set's noiseless stamps."""
    keys = ("seed", "stamp", "psf", "flux", "selection")
    section = {k: config[k] for k in keys}
    section[kind] = {k: v for k, v in config[kind].items() if k not in ("sigmas", "realisations", "sigma")}
    return section
