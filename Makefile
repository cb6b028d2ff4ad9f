# Thin wrappers; the real work is in `botify` (see `uv run botify --help`).
# uv from PATH, else where scripts/bootstrap.sh installs it (pip --user)
UV := $(shell command -v uv 2>/dev/null || echo "$$(python3.11 -m site --user-base)/bin/uv")
RUN := $(UV) run --frozen --python 3.11 --python-preference only-system

.PHONY: setup up test lint bench soak audit proto

setup:            ## install uv, the locked Python packages and the Kafka jars (only what is missing)
	@bash scripts/bootstrap.sh

up: setup         ## the main job: Kafka, topics, demo data, services, demo traffic; Ctrl-C stops it
	@$(RUN) botify up

test: setup lint  ## the whole suite: lint, then unit, integration (real Kafka), lab and end-to-end tests
	@$(RUN) pytest

lint:             ## ruff and mypy (strict)
	@$(RUN) ruff check .
	@$(RUN) mypy

bench: setup      ## benchmarks; results land in bench/results/ (each script runs as a module from the repo root)
	@$(RUN) python -m bench.ingest
	@$(RUN) python -m bench.stream
	@$(RUN) python -m bench.audio
	@$(RUN) python -m bench.api

soak: setup       ## the whole `make up` stack under steady load (30 min by default); not part of `make bench`
	@$(RUN) python -m bench.soak

audit: setup      ## known vulnerabilities in the locked dependencies (pip-audit over uv.lock's export)
	@$(RUN) python scripts/audit.py

proto:            ## regenerate libs/core/src/botify_core/proto from proto/
	@$(RUN) python scripts/protogen.py
