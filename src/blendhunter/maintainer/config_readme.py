"""config/README.md, generated from the schema and config/config.yaml's comments
(`make docs`; a test fails when the committed file drifts)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from blendhunter.workflow.config import schema

README_HEADER = """# Configuration

Every key of the workflow's configuration: its default (`config/config.yaml`), what
it accepts and what it means. Generated from `config/config.schema.yaml` (and the
comments of `config/config.yaml` where the schema has no description) by
`make docs`; a test fails when the two
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
        yaml_spelling = (str(v).lower() if isinstance(v, bool) else v for v in node["enum"])
        return ", ".join(f"`{v}`" for v in yaml_spelling)
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
