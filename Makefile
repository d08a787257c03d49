# The README's two commands: `make run` (the default campaign) and `make test`.
PYTHON ?= python3
VENV ?= .venv
CORES ?= all
# Offline sites and CI use the local copies in ../shared when they are there.
CONFIG ?= config/config.yaml $(if $(wildcard ../shared/weights),config/offline.yaml,)
SNAKEMAKE = $(VENV)/bin/snakemake
# GPU=1: CUDA builds of TensorFlow and ONNX Runtime instead of the CPU ones.
EXTRA = $(if $(filter 1,$(GPU)),gpu,cpu)

.PHONY: setup run test lint format report gpu-check docs docs-check bundle

setup: $(VENV)/.installed-$(EXTRA)

# The other extra's runtimes are removed first: CPU and CUDA builds share module names.
$(VENV)/.installed-$(EXTRA): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	rm -f $(VENV)/.installed-*
	$(if $(filter gpu,$(EXTRA)),$(VENV)/bin/pip uninstall --quiet -y tensorflow-cpu onnxruntime,\
	  $(VENV)/bin/pip uninstall --quiet -y tensorflow onnxruntime-gpu)
	$(VENV)/bin/pip install --quiet -c constraints.txt -e '.[dev,$(EXTRA)]'
	touch $@

run: setup
	$(SNAKEMAKE) --cores $(CORES) --configfile $(CONFIG)

report: setup
	$(SNAKEMAKE) --report report.html --configfile $(CONFIG)

test: setup
	$(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check src tests workflow benchmarks
	$(VENV)/bin/ruff format --check src tests workflow benchmarks
	$(VENV)/bin/snakefmt --check Snakefile rules
	$(SNAKEMAKE) --lint --configfile $(CONFIG)

# On a machine with a GPU and JAX, no setup needed (benchmarks/gpu_check.py): the GPU
# test, features/s per precision and batch size, benchmarks/gpu_check.json.
WEIGHTS ?= ../shared/weights/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5
gpu-check:
	PYTHONPATH=src $(PYTHON) benchmarks/gpu_check.py --weights $(WEIGHTS)

format: setup
	$(VENV)/bin/ruff format src tests workflow benchmarks
	$(VENV)/bin/snakefmt Snakefile rules

# Maintainers (python -m blendhunter.maintainer --help): every generated section of the
# README and docs from the committed bundles; a finished campaign's bundle, e.g.
#   make bundle BUNDLE=docs/default WALL_SECONDS=730 [TABLES=results/tables CONFIG=...]
docs: setup
	$(VENV)/bin/python -m blendhunter.maintainer docs

docs-check: setup
	$(VENV)/bin/python -m blendhunter.maintainer docs --check

TABLES ?= results/tables
bundle: setup
	$(if $(BUNDLE),,$(error set BUNDLE, e.g. make bundle BUNDLE=docs/default))
	$(VENV)/bin/python -m blendhunter.maintainer bundle $(TABLES) $(BUNDLE) --configfile $(CONFIG) \
	  --command "snakemake --cores $(CORES) --configfile $(CONFIG)" $(if $(WALL_SECONDS),--wall-seconds $(WALL_SECONDS))
