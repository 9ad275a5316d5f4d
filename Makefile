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
	@echo "== 1/7  pioneer plan --all: every stack's resources and policy findings"
	$(PIONEER) plan --all
	@echo "== 2/7  pioneer cost: the three stacks' monthly cost side by side"
	$(PIONEER) cost aws-dev gcp-dev azure-dev
	@echo "== 3/7  pioneer optimize: the reference LM training job on each cloud"
	for cloud in aws gcp azure; do $(PIONEER) optimize examples/reference-workload.yaml --cloud $$cloud || exit 1; done
	@echo "== 4/7  pioneer train: a real 2-process DDP run on this machine, tracked in MLflow"
	rm -rf .pioneer/demo-run  # a fresh run each time (the same command again would resume)
	$(PIONEER) train --backend local --nproc 2 --model digits --output-dir .pioneer/demo-run
	@echo "== 5/7  pioneer pipeline run: data checks, training, evaluation, gates, registration, promotion"
	rm -rf .pioneer/lifecycle .pioneer/demo
	$(PIONEER) pipeline run pipelines/digits.yaml
	@echo "== 6/7  pioneer monitor: clean, then rotated digits against the promoted model's baseline"
	$(PIONEER) monitor simulate --shift rotate --baseline digits:production --out .pioneer/demo/capture.jsonl
	$(PIONEER) monitor run --capture .pioneer/demo/capture.jsonl --baseline digits:production \
		--report .pioneer/demo/drift.html; rc=$$?; test $$rc -eq 3 || { echo "expected drift (exit 3), got $$rc"; exit 1; }
	@echo "== 7/7  pioneer lineage and audit verify: the promoted version's history, the audit log checked"
	$(PIONEER) lineage digits
	$(PIONEER) audit verify

# Two workers (pytest-xdist): the suite is mostly waiting on mocks, torchrun and MLflow.
test: $(STAMP) $(PACK_STAMP)
	$(VENV)/bin/pytest -n 2

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
