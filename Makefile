# The two commands of the README: `make demo` (the offline tour) and `make test`.
# Both create .venv and install what is missing first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIONEER := $(VENV)/bin/pioneer
STAMP := $(VENV)/.installed

.PHONY: install demo test lint format clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned to 2.13.0 (CPU build on disk here); constraints.txt pins the rest.
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]' --config-settings editable_mode=compat
	touch $@

# The CrossGuard policy pack has its own venv: pulumi-policy pins older protobuf/grpcio.
PACK_STAMP := policypack/.venv/.installed
$(PACK_STAMP): policypack/requirements.txt policypack/constraints.txt
	test -x policypack/.venv/bin/python || python3 -m venv policypack/.venv
	policypack/.venv/bin/python -m pip install --quiet --upgrade pip
	policypack/.venv/bin/python -m pip install --quiet -c policypack/constraints.txt -r policypack/requirements.txt
	touch $@

install: $(STAMP) $(PACK_STAMP)

# The offline tour; COLUMNS keeps the tables readable when the output is not a terminal.
demo: export COLUMNS ?= 140
demo: $(STAMP)
	@echo "== 1/4  pioneer plan --all: every stack's resources and policy findings"
	$(PIONEER) plan --all
	@echo "== 2/4  pioneer cost: the three stacks' monthly cost side by side"
	$(PIONEER) cost aws-dev gcp-dev azure-dev
	@echo "== 3/4  pioneer optimize: the reference LM training job on each cloud"
	for cloud in aws gcp azure; do $(PIONEER) optimize examples/reference-workload.yaml --cloud $$cloud || exit 1; done
	@echo "== 4/4  pioneer train: a real 2-process DDP run on this machine, tracked in MLflow"
	rm -rf .pioneer/demo-run  # a fresh run each time (the same command again would resume)
	$(PIONEER) train --backend local --nproc 2 --model digits --output-dir .pioneer/demo-run

test: $(STAMP) $(PACK_STAMP)
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	# the layering contract in pyproject.toml: no upward import, no import cycle
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
