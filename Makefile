# Targets a newcomer can guess. Everything installs itself into .venv (and .venv39).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SOURCES := glue_job.py spark_job.py config interfaces repositories services calculators factories entrypoints utils
STAMP := $(VENV)/.installed
# The Spark engine's tests need Java 17 (scripts/find_java17.sh finds or installs it).
WITH_JAVA17 = JAVA_HOME="$$(scripts/find_java17.sh)"

.PHONY: run test lint unit integration py39 ferretdb s3proxy chromium report-screenshot glue-runtimes agno-env bench bench-small package deploy-dry-run docs golden clean ddl

$(STAMP): requirements-minimal.txt requirements-dev.txt
	@echo "setting up .venv from requirements-dev.txt (about a minute, once)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## run: the job on the embedded simulated source; the CSV goes under ./output
run: $(STAMP)
	$(PY) glue_job.py

## test: lint, Python 3.9 checks, then every test (servers are built and started by the tests)
test: lint ferretdb s3proxy chromium glue-runtimes agno-env $(STAMP)
	@echo "running the unit and integration tests (about 16 minutes on 2 cores)"
	$(WITH_JAVA17) $(PY) -m pytest -q
	$(MAKE) py39

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/vermin --target=3.9- --violations --no-tips --eval-annotations $(SOURCES)
	$(PY) -m tooling.docs --check

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: ferretdb s3proxy chromium glue-runtimes agno-env $(STAMP)
	$(WITH_JAVA17) $(PY) -m pytest -q tests/integration

## py39: the unit tests on Python 3.9 with Glue's numpy 1.22, where python3.9 exists
py39:
	@py39="$$(scripts/find_python39.sh)"; \
	if [ -z "$$py39" ]; then echo "py39: no python3.9 on this machine; static check only (lint)"; exit 0; fi; \
	echo "py39: the unit tests again on $$py39 with Glue's numpy 1.22 (under a minute; setting up .venv39 once adds one)"; \
	if [ ! -f .venv39/.installed ] || [ requirements-glue.txt -nt .venv39/.installed ]; then \
	  "$$py39" -m venv .venv39 && .venv39/bin/python -m pip install --quiet --upgrade pip && \
	  .venv39/bin/python -m pip install --quiet -r requirements-glue.txt && touch .venv39/.installed; fi; \
	.venv39/bin/python -m pytest -q -p no:cacheprovider tests/unit

ferretdb:
	scripts/install_ferretdb.sh >/dev/null

## s3proxy: S3Proxy 2.6.0 (a second S3 server for the publish tests) into .tools/s3proxy
s3proxy:
	scripts/install_s3proxy.sh >/dev/null

## chromium: Debian's Chromium, for the browser test of the run report
chromium:
	scripts/install_chromium.sh >/dev/null

## report-screenshot: docs/report.png, the browser test's screenshot of a run report
report-screenshot: chromium $(STAMP)
	KEEP_REPORT_SCREENSHOT=$(CURDIR)/docs/report.png $(PY) -m pytest -q -p no:cacheprovider \
	    tests/integration/test_profile_report.py -k chromium

## glue-runtimes: Glue 6.0's and 5.1's Python and Spark, for the deployed Spark job's test
glue-runtimes:
	scripts/glue_runtime.sh 6.0 >/dev/null
	scripts/glue_runtime.sh 5.1 >/dev/null

## agno-env: .venv-agno with agno 3.1.10, the writer of the Agno 3 integration test's data
agno-env: .venv-agno/.installed
.venv-agno/.installed: requirements-agno.txt
	@echo "setting up .venv-agno with agno 3.1.10, the integration tests' writer (about a minute, once)"
	$(PYTHON) -m venv .venv-agno
	.venv-agno/bin/python -m pip install --quiet -r requirements-agno.txt
	touch $@

bench: $(STAMP) ferretdb agno-env
	$(WITH_JAVA17) $(PY) bench/run.py --million --json

bench-small: $(STAMP) ferretdb agno-env
	$(WITH_JAVA17) $(PY) bench/run.py --small

## package: dist/<name>-<version>-py3-none-any.whl, dist/glue_job.py and dist/spark_job.py
package: $(STAMP)
	rm -rf dist build *.egg-info
	$(PY) -m build --wheel --outdir dist . >/dev/null
	cp glue_job.py spark_job.py dist/
	rm -rf build *.egg-info
	@ls dist

deploy-dry-run: package
	$(PY) scripts/deploy_glue.py --role-arn arn:aws:iam::123456789012:role/GlueJobRole --bucket my-glue-assets --dry-run

## ddl: the Athena statements for each format (example location; see README, "Query it")
ddl: $(STAMP)
	$(PY) -m tooling.ddl --format parquet --table analytics.conversation_features \
	  --location s3://my-bucket/training_data/2024-12-01_to_2024-12-31/
	$(PY) -m tooling.ddl --format csv --table analytics.conversation_features \
	  --location s3://my-bucket/training_data/2024-12-01_to_2024-12-31/

docs: $(STAMP)
	$(PY) -m tooling.docs

## golden: rewrite tests/golden/ after a deliberate change of the outputs (review the diff)
golden: $(STAMP)
	$(PY) -m tests.support.golden write

clean:
	rm -rf output dist build *.egg-info .pytest_cache .ruff_cache .hypothesis
