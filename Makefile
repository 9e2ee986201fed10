# One command sets up and runs: `make run` trains the letters VAE, `make test` runs the tests
# (`make test-fast` all but the slow ones),
# `make demo` serves the draw-a-letter page (training its model first when there is none).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

.PHONY: run digits vowels demo demo-model test test-fast bench results figures
# The demo's model, chosen by bench/likeness.py (bench/README.md, "Your hand, measured"): how `make demo-model`
# trains it and where `make demo` looks for it (docs/runs.py reads both).
DEMO_FLAGS := --conditional --latent-dim 16 --hands 500
DEMO_MODEL := outputs/demo/model.keras
run: $(VENV)/installed
	$(PY) vae_letters.py

digits: $(VENV)/installed
	$(PY) vae_digits.py

vowels: $(VENV)/installed
	$(PY) vae_vowels.py

demo: $(VENV)/installed
	@test -f $(DEMO_MODEL) || { echo "No $(DEMO_MODEL) yet: training it first (make demo-model, a few minutes) ..."; \
		$(MAKE) --no-print-directory demo-model; }
	$(PY) demo.py $(DEMO_MODEL)

# Trains the demo's model anew, into DEMO_MODEL's folder.
demo-model: $(VENV)/installed
	$(PY) vae_letters.py $(DEMO_FLAGS) --out $(dir $(DEMO_MODEL))

test: $(VENV)/installed
	$(PY) -m pytest -q

# The fast tier: every module's tests except those marked slow (training, scripts, browsers).
test-fast: $(VENV)/installed
	$(PY) -m pytest -q -m "not slow"

bench: $(VENV)/installed
	$(PY) bench/throughput.py

results: $(VENV)/installed
	$(PY) bench/results.py

# Redraw the docs' pictures and the sample summary with the commands the docs show (docs/runs.py).
figures: $(VENV)/installed
	$(PY) docs/runs.py $(if $(MNIST),--mnist $(MNIST))
