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

.PHONY: run digits vowels demo test test-fast bench results figures
DEMO_MODEL := outputs/letters-conditional/model.keras
run: $(VENV)/installed
	$(PY) vae_letters.py

digits: $(VENV)/installed
	$(PY) vae_digits.py

vowels: $(VENV)/installed
	$(PY) vae_vowels.py

demo: $(VENV)/installed
	@test -f $(DEMO_MODEL) || { echo "No $(DEMO_MODEL) yet: training a conditional letters model first (a few minutes) ..."; \
		$(PY) vae_letters.py --conditional --out $(dir $(DEMO_MODEL)); }
	$(PY) demo.py $(DEMO_MODEL)

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
