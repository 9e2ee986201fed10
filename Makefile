# One command sets up and runs: `make run` trains the letters VAE, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

$(VENV)/installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

.PHONY: run digits vowels test bench results
run: $(VENV)/installed
	$(PY) vae_letters.py

digits: $(VENV)/installed
	$(PY) vae_digits.py

vowels: $(VENV)/installed
	$(PY) vae_vowels.py

test: $(VENV)/installed
	$(PY) -m pytest -q

bench: $(VENV)/installed
	$(PY) bench/throughput.py

results: $(VENV)/installed
	$(PY) bench/results.py
