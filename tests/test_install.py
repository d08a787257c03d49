"""What users install: the conda environment of `--sdm conda`, the Python floor and its
pins, and config/README.md (generated from the schema; drift fails here)."""

from __future__ import annotations

import re
import tomllib

import yaml

from blendhunter.maintainer import config_readme

from .conftest import REPO

# What the rules import at run time, by the distribution that provides it
RUNTIMES = ("tensorflow", "onnxruntime", "keras", "onnx", "tf2onnx", "galsim", "sep", "h5py", "snakemake")


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_conda_environment_installs_the_package_with_its_runtimes():
    env = yaml.safe_load((REPO / "envs" / "blendhunter.yaml").read_text())
    pip = next(item["pip"] for item in env["dependencies"] if isinstance(item, dict))
    extras = {m.group(1) for entry in pip if (m := re.fullmatch(r"-e \.\.\[(\w+)\]", entry))}
    assert extras == {"cpu"}, pip
    assert "-c ../constraints.txt" in pip
    project = pyproject()["project"]
    named = " ".join(project["dependencies"] + project["optional-dependencies"]["cpu"])
    missing = [r for r in RUNTIMES if not re.search(rf"\b{r}(-cpu)?\b", named)]
    assert not missing, f"the [cpu] install lacks {missing}"


def test_conda_python_meets_requires_python():
    env = yaml.safe_load((REPO / "envs" / "blendhunter.yaml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    floor = re.search(r">=(\d+\.\d+)", pyproject()["project"]["requires-python"]).group(1)
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, floor.split(".")))


def test_requires_python_admits_no_python_the_pins_exclude():
    """numpy 2.4 and pandas 3 need Python 3.11: the floor says so."""
    pins = dict(line.split("==") for line in (REPO / "constraints.txt").read_text().split() if "==" in line)
    floor = re.search(r">=(\d+)\.(\d+)", pyproject()["project"]["requires-python"]).groups()
    if int(pins["numpy"].split(".")[0]) >= 2 and int(pins["numpy"].split(".")[1]) >= 3:
        assert tuple(map(int, floor)) >= (3, 11)


def test_config_readme_is_generated_from_the_schema():
    """Fails when a key, default or description changes without
    `make docs`."""
    committed = (REPO / "config" / "README.md").read_text()
    assert committed == config_readme.reference_markdown(REPO / "config" / "config.yaml")
    for key in ("features.layer", "parametric.sigmas", "sep.thresh", "classify.threshold"):
        assert f"| `{key}` |" in committed


def test_each_concern_is_a_subpackage_that_exports_its_api():
    """`ls src/blendhunter` shows the architecture: every module of a concern lives in its
    subpackage, and every name its `__init__` exports resolves."""
    import importlib

    package = REPO / "src" / "blendhunter"
    for name in ("simulation", "network", "evaluation", "workflow"):
        sub = importlib.import_module(f"blendhunter.{name}")
        on_disk = {p.stem for p in (package / name).glob("*.py")} - {"__init__"}
        assert set(sub.MODULES) == on_disk, name
        for exported in sub.__all__:
            assert getattr(sub, exported) is not None, f"blendhunter.{name}.{exported}"
    user_tools = {"centring", "classify", "cli", "configure", "domain", "scene", "shipped", "survey"}
    assert {p.stem for p in package.glob("*.py")} == {"__init__", "errors", "io", "logs", *user_tools}
