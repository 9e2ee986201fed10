# One command sets up and runs: `make run` trains the letters VAE, `make test` runs the tests
# (`make test-fast` all but the slow ones, `make lint` the linter and formatter's checks),
# `make demo` serves the draw-a-letter page (training its model first when there is none).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

# Each target installs only what it needs into $(VENV), each requirements file on top of the one before:
# the runtime (training and drawing), then the demo's Gradio, then the tests' tools and JAX.
# bench/install_size.py measures how big each one is. A target depends on the stamp of what it needs.
RUN_ENV := $(VENV)/installed-runtime
DEMO_ENV := $(VENV)/installed-demo
DEV_ENV := $(VENV)/installed-dev

# A new runtime starts from an empty venv (--clear also drops the demo and dev stamps), so no package of
# an older install (such as `tensorflow` beside `tensorflow-cpu`) is left to overwrite the new ones.
$(RUN_ENV): requirements.txt
	$(PYTHON) -m venv --clear $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEMO_ENV): $(RUN_ENV) requirements-demo.txt
	$(PY) -m pip install --quiet -r requirements-demo.txt
	touch $@

$(DEV_ENV): $(DEMO_ENV) requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

.PHONY: run digits vowels demo demo-model test test-fast lint bench results figures
# The demo's model, chosen by bench/likeness.py (bench/README.md, "Your hand, measured"): how `make demo-model`
# trains it and where `make demo` looks for it (docs/runs.py reads both).
DEMO_FLAGS := --conditional --latent-dim 16 --hands 500
DEMO_MODEL := outputs/demo/model.keras
run: $(RUN_ENV)
	$(PY) vae_letters.py

digits: $(RUN_ENV)
	$(PY) vae_digits.py

vowels: $(RUN_ENV)
	$(PY) vae_vowels.py

demo: $(DEMO_ENV)
	@test -f $(DEMO_MODEL) || { echo "No $(DEMO_MODEL) yet: training it first (make demo-model, a few minutes) ..."; \
		$(MAKE) --no-print-directory demo-model; }
	$(PY) demo.py $(DEMO_MODEL)

# Trains the demo's model anew, into DEMO_MODEL's folder.
demo-model: $(RUN_ENV)
	$(PY) vae_letters.py $(DEMO_FLAGS) --out $(dir $(DEMO_MODEL))

# The demo as a Hugging Face Space: outputs/space/, a folder that runs alone (docs/demo.md: publishing it).
.PHONY: space
space: $(DEMO_ENV)
	@test -f $(DEMO_MODEL) || { echo "No $(DEMO_MODEL) yet: training it first (make demo-model, a few minutes) ..."; \
		$(MAKE) --no-print-directory demo-model; }
	$(PY) space.py $(DEMO_MODEL) --out outputs/space

test: $(DEV_ENV)
	$(PY) -m pytest -q

# The fast tier: every module's tests except those marked slow (training, scripts, browsers).
test-fast: $(DEV_ENV)
	$(PY) -m pytest -q -m "not slow"

# One linter and formatter (ruff, configured in pyproject.toml); `ruff format .` rewrites what --check finds.
lint: $(DEV_ENV)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: $(RUN_ENV)
	$(PY) bench/throughput.py

results: $(RUN_ENV)
	$(PY) bench/results.py

# Redraw the docs' pictures and the sample summary with the commands the docs show (docs/runs.py);
# its screenshots of the page and the demo need Selenium and Gradio.
figures: $(DEV_ENV)
	$(PY) docs/runs.py $(if $(MNIST),--mnist $(MNIST))
