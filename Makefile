# The README's two commands: `make run` (dashboard on demo data) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := data/cx.db
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench browser spreadsheet

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(DB): | $(VENV)/.runtime
	$(BIN)/python -m cx demo

# Revenue is shown in CX_CURRENCY; without it, in USD, the demo brand's currency.
run: $(VENV)/.runtime $(DB)
	CX_CURRENCY="$${CX_CURRENCY:-USD}" $(BIN)/streamlit run app.py

# The browser tests drive Debian's Chromium through Playwright (no browser download is possible):
# installed here when missing and this is root on Debian; otherwise those tests skip with the reason.
browser:
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "no $(CHROMIUM): the browser tests will be skipped (apt-get install chromium)"; fi; }

# The export tests open the CSV downloads in LibreOffice Calc (Debian's libreoffice-calc-nogui, about
# 90 MB): installed here when missing and this is root on Debian; otherwise those tests skip with the reason.
spreadsheet:
	@command -v soffice >/dev/null || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui; \
	else echo "no soffice: the spreadsheet tests will be skipped (apt-get install libreoffice-calc-nogui)"; fi; }

test: $(VENV)/.dev browser spreadsheet
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.runtime
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.hostile
	$(BIN)/python -m bench.metrics
	$(BIN)/python -m bench.explain
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.customers
