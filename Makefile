# Two commands matter: `make run` starts the gateway, `make test` runs the tests.
# Both create the virtual environment on first use, from uv.lock (every
# dependency pinned and hash-checked), with every extra and the dev tools.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
# uv installs into $(VENV), never downloads a Python, and never edits uv.lock on its own.
UV = UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never $(BIN)/uv

.PHONY: install system-packages lock lock-upgrade run demo test test-fast lint format bench clean

install: $(VENV)/.installed system-packages

# What the gateway needs from the operating system to read attachments: Tesseract
# with its Korean data (OCR of images), a Korean font the tests draw screenshots
# with, Chromium, in which the console's browser tests run (Playwright drives this
# system browser; it never downloads one), and Squid with TLS (squid-openssl), which
# the ICAP tests and bench run in front of the gateway. Installed with apt-get when
# missing and possible (apt-get update first); a no-op when present; never a failure:
# without OCR the gateway says so at start-up and in /readyz, and images are
# uninspectable (docs/attachments.md); without Chromium or Squid the browser and ICAP
# end-to-end tests skip (and fail with CI=true).
KOREAN_FONT = /usr/share/fonts/truetype/nanum/NanumGothic.ttf
system-packages:
	@missing=""; \
	command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr"; \
	ls /usr/share/tesseract-ocr/*/tessdata/kor.traineddata >/dev/null 2>&1 || missing="$$missing tesseract-ocr-kor"; \
	test -f $(KOREAN_FONT) || missing="$$missing fonts-nanum"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	test -x /usr/lib/squid/security_file_certgen || missing="$$missing squid-openssl"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		echo "installing$$missing (apt-get)"; \
		apt-get update -qq >/dev/null 2>&1 || true; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 \
			|| echo "warning: could not install$$missing; OCR, the browser or the ICAP tests may be unavailable"; \
	else \
		echo "warning: missing$$missing (no apt-get or not root); without tesseract images are uninspectable;" \
			"without chromium or squid the browser and ICAP tests skip"; \
	fi

$(VENV)/.installed: pyproject.toml uv.lock requirements/bootstrap.txt $(wildcard gateway/detect/company/_scan*.[ch])
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Haetae needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/bootstrap.txt
	$(UV) sync --locked --all-extras --inexact --python $(BIN)/python
	touch $@

# After editing dependencies in pyproject.toml: resolve again, keeping every other pin.
lock: install
	$(UV) lock

# Move every pin to the newest release pyproject.toml allows.
lock-upgrade: install
	$(UV) lock --upgrade

run: install
	$(BIN)/haetae serve

demo: install
	$(BIN)/haetae demo

# Tests run in TEST_WORKERS processes (pytest-xdist): much of a test's time is
# waiting on sockets and child processes, so two workers halve the wall time even
# on two cores. TEST_WORKERS=0 runs them in this process (for pdb).
TEST_WORKERS ?= 2

# Every test, with line and branch coverage of gateway/ (the floor is in pyproject.toml).
test: install system-packages
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --cov --cov-report=term

# The edit loop: no coverage, and no test marked slow (real processes, fresh
# interpreters, timeouts, benchmarks).
test-fast: install system-packages
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "not slow" -p no:cacheprovider -q

lint: install
	$(UV) lock --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/haetae bench

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
