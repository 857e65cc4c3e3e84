# dsmrhub — every target works on a fresh clone with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/dsmrhub/web/static/web/vendor
ASSETS := $(VENDOR)/.installed

.PHONY: install browser wrk run test bench lint format messages clean

install: $(STAMP) $(ASSETS)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[all,test]'
	touch $(STAMP)

# Front-end assets: pinned in package-lock.json, fetched from the npm registry, served by the app.
$(ASSETS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/
	touch $(ASSETS)

# The browser tests drive Debian's Chromium; as root with apt, install it when it is missing.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver \
	       || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }; } \
	  || echo "Chromium missing: the browser tests will be skipped (apt-get install chromium)"; }

# The API benchmark's load generator; as root with apt, install it when it is missing.
wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk \
	       || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; }; } \
	  || echo "wrk missing: API v1 is benchmarked with the Python client only (apt-get install wrk)"; }

run: install
	$(BIN)/dsmrhub run --source demo

test: install browser
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: install wrk
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

# After changing user-visible text: update the Dutch catalogue, translate the new entries, compile.
messages: install
	cd src/dsmrhub && DSMRHUB_DATA_DIR=$(CURDIR)/data ../../$(BIN)/django-admin makemessages -l nl --no-location --settings dsmrhub.settings
	cd src/dsmrhub && DSMRHUB_DATA_DIR=$(CURDIR)/data ../../$(BIN)/django-admin compilemessages --settings dsmrhub.settings

clean:
	rm -rf $(VENV) node_modules $(VENDOR) data bench-results.json test-artifacts .pytest_cache
