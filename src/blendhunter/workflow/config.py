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


def sigma_label(sigma: float) -> str:
    """'15' for 15 and 15.0, '14.5' for 14.5: the {sigma} wildcard's form."""
    return f"{float(sigma):g}"


def _check_sigma_labels(sigmas: list) -> list[str]:
    """Each noise level must name its own files: labels unique and path-safe."""
    labels = [sigma_label(s) for s in sigmas]
    problems = [
        f"parametric.sigmas: {s!r} gives the file label {label!r}; use a plain decimal such as 15 or 14.5"
        for s, label in zip(sigmas, labels, strict=True)
        if not re.fullmatch(SIGMA_WILDCARD, label)
    ]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        problems.append(
            f"parametric.sigmas: {sigmas} gives the same file label {repeated} to several levels; "
            "give each noise level once, with at most 6 significant digits"
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
        choices = ", ".join(map(repr, error.validator_value))
        return f"{key}: {error.instance!r} is not allowed; choose one of {choices}"
    limits = {
        "minimum": ">=",
        "exclusiveMinimum": ">",
        "maximum": "<=",
        "exclusiveMaximum": "<",
    }
    if error.validator in limits:
        why = error.schema.get("description") if error.validator == "maximum" else None
        reason = f" ({why})" if why else ""
        return f"{key}: {error.instance!r} must be {limits[error.validator]} {error.validator_value}{reason}"
    return f"{key}: {error.message}"


def _check_consistency(config: dict) -> list[str]:
    """Rules a JSON schema cannot express."""
    problems = []
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
    curve, realisations = config["learning_curve"]["realisation"], config["parametric"]["realisations"]
    if curve >= realisations:
        problems.append(
            f"learning_curve.realisation: {curve} is not one of the {realisations} parametric.realisations"
        )
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


# --- config/README.md, generated from the schema and config/config.yaml -------------------------

README_HEADER = """# Configuration

Every key of the workflow's configuration: its default (`config/config.yaml`), what
it accepts and what it means. Generated from `config/config.schema.yaml` (and the
comments of `config/config.yaml` where the schema has no description) by
`python -m blendhunter.workflow.config --readme config/README.md`; a test fails when the two
drift apart. Layer your own file over the defaults:
`snakemake --cores all --configfile config/config.yaml my.yaml`.

| key | default | accepts | meaning |
|---|---|---|---|
"""


def _resolve(node: dict, root: dict) -> dict:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return {**_resolve(root["$defs"][name], root), **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _accepts(node: dict) -> str:
    if "enum" in node:
        return ", ".join(f"`{v}`" for v in node["enum"])
    kinds = node.get("type", "")
    kinds = " or ".join(kinds) if isinstance(kinds, list) else kinds
    bounds = [
        f"{sign} {node[key]}"
        for key, sign in (
            ("minimum", ">="),
            ("exclusiveMinimum", ">"),
            ("maximum", "<="),
            ("exclusiveMaximum", "<"),
        )
        if key in node
    ]
    return ", ".join([kinds, *bounds]) if kinds else ", ".join(bounds) or "see the schema"


KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_0-9]+):(?P<value>[^#]*)(#(?P<comment>.*))?$")


def yaml_comments(path: str | Path) -> dict[str, str]:
    """Dotted key -> the comment written on and just above its line in a YAML file."""
    comments, stack, pending = {}, [], []
    for line in Path(path).read_text().splitlines():
        stripped = line.strip()
        if not stripped:
            pending = []
            continue
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        match = KEY_LINE.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        stack = [(i, k) for i, k in stack if i < indent] + [(indent, match["key"])]
        text = " ".join([*pending, (match["comment"] or "").strip()]).strip()
        if text:
            comments[".".join(k for _, k in stack)] = text
        pending = []
    return comments


def _rows(node: dict, default, prefix: str, root: dict, comments: dict) -> list[str]:
    node = _resolve(node, root)
    properties = node.get("properties")
    if properties and isinstance(default, dict):
        rows = []
        for key, child in properties.items():
            rows += _rows(child, default.get(key), f"{prefix}.{key}" if prefix else key, root, comments)
        return rows
    shown = json.dumps(default) if not isinstance(default, str) else default
    said = node.get("description") or comments.get(prefix) or comments.get(prefix.rsplit(".", 1)[0], "")
    meaning = " ".join(str(said).split()).replace("|", "/")
    return [f"| `{prefix}` | `{shown}` | {_accepts(node)} | {meaning} |"]


def reference_markdown(defaults_path: str | Path) -> str:
    """config/README.md: one row per key of the schema, with config.yaml's default; its
    meaning from the schema's description, else from config.yaml's comment on the key."""
    defaults = yaml.safe_load(Path(defaults_path).read_text())
    root = schema()
    rows = _rows(root, defaults, "", root, yaml_comments(defaults_path))
    return README_HEADER + "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write config/README.md from the schema.")
    parser.add_argument("--readme", type=Path, required=True, help="where to write it")
    parser.add_argument("--defaults", type=Path, default=Path("config/config.yaml"))
    args = parser.parse_args(argv)
    args.readme.write_text(reference_markdown(args.defaults))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
