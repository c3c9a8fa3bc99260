# Serverless Airline - every command a user or CI needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python keeps the bytecode it compiles (in __pycache__ directories, which git ignores and `sam build`
# leaves out) even where the environment says not to (PYTHONDONTWRITEBYTECODE): otherwise every process of
# a run - each test worker, each of the local cloud's function workers, each linter - compiles everything it
# imports from source whenever it starts. Measured: importing the local cloud took 9.1 s of CPU from source,
# 4.0 s from bytecode. (Compiling the environments whole when they are made cost 41 s of CPU for .venv
# alone, more than a fresh `make demo` saves.)
unexport PYTHONDONTWRITEBYTECODE

PYTHON313 := $(shell scripts/find-python313.sh 2>/dev/null)
VENV := .venv
SAM_ENV := .tools/sam
PY := $(VENV)/bin/python
LOCAL_STACK := airline-local# the local cloud's stack (stacktools.project.LOCAL_STACK_NAME)
SAM := $(SAM_ENV)/bin/sam
# `sam build` (no container) needs the functions' runtime, python3.13, on PATH: the venv provides it.
SAM_RUN := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} SAM_CLI_TELEMETRY=0 $(SAM)

.PHONY: help setup demo local redrive redrive-local local-invoke test audit static-gate lint typecheck validate sam-lint build web chromium pytest deployed-tests seed deploy-web invoke clean bench bench-quick soak

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# uv creates the environments and installs their pinned requirements: the same files and versions pip
# would install, several times faster. It comes pinned (requirements/uv.txt) in an environment of its own.
UV_ENV := .tools/uv
UV := $(UV_ENV)/bin/uv
$(UV_ENV)/.installed: requirements/uv.txt
	@test -n "$(PYTHON313)" || scripts/find-python313.sh
	@echo "-> creating $(UV_ENV) (uv) with $(PYTHON313)"
	@$(PYTHON313) -m venv --clear $(UV_ENV)
	@$(UV_ENV)/bin/pip install --quiet -r requirements/uv.txt
	@touch $@

# A new environment (with pip, for a package a developer adds by hand) and the pinned requirements in it:
# $(call python_env,directory,requirements without .in/.txt).
python_env = $(UV) venv --quiet --clear --seed --python $(PYTHON313) $(1) && \
	$(UV) pip install --quiet --python $(1)/bin/python -r $(2).in -c $(2).txt

$(VENV)/.installed: requirements/dev.in requirements/dev.txt src/requirements.txt tools/pyproject.toml | $(UV_ENV)/.installed
	@echo "-> creating $(VENV) with $(PYTHON313)"
	@$(call python_env,$(VENV),requirements/dev)
	@$(UV) pip install --quiet --python $(PY) --no-deps -e tools
	@touch $@

$(SAM_ENV)/.installed: requirements/sam.in requirements/sam.txt | $(UV_ENV)/.installed
	@echo "-> creating $(SAM_ENV) (aws-sam-cli, cfn-lint) with $(PYTHON313)"
	@$(call python_env,$(SAM_ENV),requirements/sam)
	@touch $@

CHECKOV_ENV := .tools/checkov

$(CHECKOV_ENV)/.installed: requirements/checkov.in requirements/checkov.txt | $(UV_ENV)/.installed
	@echo "-> creating $(CHECKOV_ENV) (checkov, parliament) with $(PYTHON313)"
	@$(call python_env,$(CHECKOV_ENV),requirements/checkov)
	@touch $@

# ESLint with AWS's APPSYNC_JS rules, for the resolvers in graphql/ (running them needs no packages).
APPSYNC_RUNTIME := tools/localcloud/appsync/runtime
$(APPSYNC_RUNTIME)/node_modules/.installed: $(APPSYNC_RUNTIME)/package.json $(APPSYNC_RUNTIME)/package-lock.json
	@command -v npm >/dev/null || { echo "error: Node.js 20+ and npm are required (the AppSync resolvers are JavaScript)"; exit 1; }
	@echo "-> installing the APPSYNC_JS linter (npm ci)"
	@npm ci --prefix $(APPSYNC_RUNTIME) --no-audit --no-fund --loglevel=error
	@touch $@

# The customer web app and the boundary map (web/): Preact and TypeScript, bundled by Vite; the pages
# load nothing from a CDN.
WEB := web
$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	@command -v npm >/dev/null || { echo "error: Node.js 20.19+ and npm are required (the web app is built with Vite)"; exit 1; }
	@echo "-> installing the web app's build tools (npm ci)"
	@npm ci --prefix $(WEB) --no-audit --no-fund --loglevel=error
	@touch $@

WEB_INPUTS := $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/tsconfig.node.json $(shell find $(WEB)/app $(WEB)/map -type f 2>/dev/null)

$(WEB)/dist/.built: $(WEB)/node_modules/.installed $(WEB_INPUTS)
	@echo "-> building the web app and the boundary map (tsc, vite build)"
	@npm run build --prefix $(WEB) --silent > .web-build.log 2>&1 || { cat .web-build.log; exit 1; }
	@touch $@

setup: $(VENV)/.installed $(SAM_ENV)/.installed $(CHECKOV_ENV)/.installed $(APPSYNC_RUNTIME)/node_modules/.installed $(WEB)/node_modules/.installed chromium ## create the environments (idempotent)

# The browser tests (tests/browser) drive Debian's Chromium; Playwright's own browser download is not used.
CHROMIUM := /usr/bin/chromium
chromium: ## install Chromium for the browser tests if it is missing (apt-get install chromium)
	@test -x $(CHROMIUM) || { \
	  echo "-> installing Chromium for the browser tests (apt-get install -y chromium)"; \
	  if [ "$$(id -u)" = 0 ]; then APT="apt-get"; elif sudo -n true 2>/dev/null; then APT="sudo apt-get"; else APT=""; fi; \
	  { test -n "$$APT" && $$APT update -qq && $$APT install -y -qq chromium >/dev/null; } || { \
	    echo "error: Chromium could not be installed. Install Debian's chromium package as root"; \
	    echo "       (apt-get install -y chromium) so that $(CHROMIUM) exists: the browser tests need it."; \
	    exit 1; }; }

demo: build ## the walkthrough on the local cloud: book, compensate, earn points, every boundary checked
	@$(PY) -m localcloud demo

local: build web ## run the local cloud until Ctrl-C: the web app, the boundary map, and the endpoints (AWS, GraphQL, loyalty API)
	@$(PY) -m localcloud up

redrive: ## settle the bookings parked in a deployed stack's dead-letter queue: make redrive STACK=name [DRY_RUN=1]
	@test -n "$(STACK)" || { echo "usage: make redrive STACK=<stack name> [DRY_RUN=1]"; exit 2; }
	@$(PY) -m ops.redrive --stack $(STACK) $(if $(DRY_RUN),--dry-run)

redrive-local: ## the same against `make local` (export the AWS_* lines it prints first) [DRY_RUN=1]
	@test -n "$$AWS_ENDPOINT_URL" || { echo "export the AWS_ENDPOINT_URL and AWS_ACCESS_KEY_ID lines \`make local\` prints"; exit 2; }
	@$(PY) -m ops.redrive --local --stack $(LOCAL_STACK) $(if $(DRY_RUN),--dry-run)

local-invoke: build ## like sam local invoke, no Docker: make local-invoke FUNCTION=GetLoyaltyFunction EVENT=events/get_loyalty.json
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make local-invoke FUNCTION=<logical id> EVENT=<events/file.json>"; exit 2; }
	@$(PY) -m localcloud invoke $(FUNCTION) -e $(EVENT)

# The tests, then the audits, then a quick benchmark. The audits run even when a test has failed, so a grant
# that a change left unused is reported as the audit's own finding ("granted but never used: ...") beside the
# tests the change broke; after a partial test run the least-privilege audit says that it cannot judge one.
# The benchmark runs only when the tests and the audits passed.
test: setup lint typecheck static-gate build web ## every gate CI runs: lint, types, template checks, build, tests, audit, a quick benchmark
	@status=0; \
	$(PYTEST_ALL) || status=1; \
	$(AUDIT_ALL) || status=1; \
	test $$status = 0 || exit $$status; \
	$(PY) -m benchmarks --quick

lint: $(VENV)/.installed $(WEB)/node_modules/.installed ## ruff (lint and formatting), and prettier on the web app and the map
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	npm run format:check --prefix $(WEB) --silent

typecheck: $(VENV)/.installed $(WEB)/node_modules/.installed ## mypy --strict, and tsc (strict) on the web app and the map
	$(VENV)/bin/mypy src tests benchmarks ops
	cd tools && ../$(VENV)/bin/mypy localcloud iam_eval secaudit stacktools tests
	npm run typecheck --prefix $(WEB) --silent

validate: sam-lint ## sam validate --lint (the app's and the web app's templates), and cfn-lint with the serverless rules (.cfnlintrc.yaml)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} $(SAM_ENV)/bin/cfn-lint

# `make test` runs neither half of `validate`: the static gate runs cfn-lint (the same version, from the
# same environment) on the same two templates with .cfnlintrc.yaml, which appends the serverless rules
# to cfn-lint's defaults - the rules `sam validate --lint` runs - and fails on any finding.
sam-lint: $(SAM_ENV)/.installed ## sam validate --lint on the app's and the web app's templates
	$(SAM_RUN) validate --lint
	$(SAM_RUN) validate --lint --template-file $(WEB)/template.yaml

# What building and running the stack locally needs (`make demo`, `make local`): the application's
# environment and SAM's. The linters', the static gate's and the browser tests' are `make setup`'s.
RUN_ENVS := $(VENV)/.installed $(SAM_ENV)/.installed
BUILD_INPUTS := template.yaml samconfig.toml src/requirements.txt src/Makefile $(shell find src -name '*.py' -not -path '*/__pycache__/*')

.aws-sam/build/template.yaml: $(BUILD_INPUTS) | $(RUN_ENVS)
	@echo "-> sam build (no container)"
	@$(SAM_RUN) build > .aws-sam-build.log 2>&1 || { cat .aws-sam-build.log; exit 1; }
	@touch $@

static-gate: setup ## cfn-lint, checkov and parliament on template.yaml, web/template.yaml and their translations; sam validate
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-eu-west-1} $(PY) -m secaudit.static_gate

build: $(RUN_ENVS) .aws-sam/build/template.yaml ## sam build, without a container (again only when its inputs change)

web: $(WEB)/dist/.built ## build the customer web app and the boundary map into web/dist (again only when their sources change)

# Each as one shell command, shared by `make pytest`, `make audit` and `make test`.
# The tests run in PYTEST_WORKERS processes (pytest-xdist; 0 runs them in this one), a whole module per
# worker: its local cloud and its tests' order stay as in one process, and every worker's clouds are its
# own (free ports, moto state per process). Coverage and the audit's observations are combined.
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadfile
PYTEST_ALL = { echo "-> pytest"; $(VENV)/bin/pytest --cov $(PYTEST_PARALLEL) && \
	(cd tools && ../$(VENV)/bin/pytest $(PYTEST_PARALLEL)); }
# Every audit runs, whichever fails, so that each prints its own findings; the status is 1 if any failed.
AUDIT_ALL = { echo "-> audits"; audits=0; \
	$(PY) -m secaudit.audit || audits=1; \
	{ $(PY) -m secaudit.matrix > /dev/null && echo "authorization matrix: only the intended cells are allowed"; } || audits=1; \
	{ $(PY) -m secaudit.graphql_matrix | tail -n 1; test $${PIPESTATUS[0]} = 0; } || audits=1; \
	$(PY) -m secaudit.blast_radius || audits=1; \
	test $$audits = 0; }

pytest: setup build web ## every test tier that needs no AWS account: the application's (browser tests and src/ coverage with its floor included), then the tools' own (tools/tests)
	@$(PYTEST_ALL)

audit: $(VENV)/.installed ## least-privilege audit (observed calls vs grants, after a complete `make pytest`), authorization matrices (resource policies, GraphQL), blast radius
	@$(AUDIT_ALL)

# The make command the benchmark uses to time `make demo` and `make test` (a wrapper can stand in for it).
BENCH_MAKE ?= $(MAKE)

bench: build ## measure cold starts, packages, memory, work per request, cost, the local flow -> docs/performance.md (BENCH_OPTIONS=--long adds a fresh make demo and a second make test)
	BENCH_MAKE="$(BENCH_MAKE)" $(PY) -m benchmarks $(BENCH_OPTIONS)

bench-quick: build ## a short benchmark run that proves the suite works -> reports/performance-quick.md
	$(PY) -m benchmarks --quick

# The randomized fault runs at length (tests/e2e/test_fault_runs.py; `make test` runs its quick profile).
SOAK_EXAMPLES ?= 200
soak: setup build ## randomized fault runs against the local cloud, SOAK_EXAMPLES of them (default 200; FAULT_RUNS_SEED=n for another sequence)
	FAULT_RUNS_PROFILE=soak FAULT_RUNS_EXAMPLES=$(SOAK_EXAMPLES) $(VENV)/bin/pytest tests/e2e/test_fault_runs.py -p no:cacheprovider -s -q

deployed-tests: $(VENV)/.installed ## opt-in tests against a deployed stack: AIRLINE_STACK_NAME=... make deployed-tests
	$(VENV)/bin/pytest tests/deployed -m deployed -v

seed: $(VENV)/.installed ## load sample flights into a deployed stack: make seed STACK=airline-dev
	@test -n "$(STACK)" || { echo "usage: make seed STACK=<stack name>"; exit 2; }
	$(PY) -m stacktools.catalog --stack-name $(STACK)

deploy-web: web ## host the web app privately (S3 + CloudFront) beside a deployed stack: make deploy-web STACK=airline-dev
	@test -n "$(STACK)" || { echo "usage: make deploy-web STACK=<the application's stack name>"; exit 2; }
	$(PY) -m stacktools.webdeploy --stack-name $(STACK)

invoke: build ## sam local invoke (needs Docker): make invoke FUNCTION=GetLoyaltyFunction EVENT=events/get_loyalty.json
	$(SAM_RUN) local invoke $(FUNCTION) -e $(EVENT)

clean: ## remove build output and caches (keeps the environments)
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache $(WEB)/dist
