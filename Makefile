# curated-search: set up, index, serve, test, measure.
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
SHARED      ?= ../shared
INDEX_DIR   ?= var/index
PORT        ?= 8000
DEMO_PORT   ?= 8001
CORPUS      := corpus/pages
PAGES       := $(wildcard $(CORPUS)/*.html $(CORPUS)/*/*.html)

.PHONY: setup index run serve test system-setup postgres-setup browser-setup eval bench bench-curation bench-scale bench-update latency shared-index screenshots train-ranker clean

setup: $(VENV)/.installed

# PyTorch goes in first, pinned to the CPU build, so nothing else pulls a CUDA build; then the
# pinned tree, then the project itself (editable, its dependencies already there).
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $$(grep '^torch==' requirements.txt)
	$(VENV)/bin/pip install --quiet -r requirements.txt
	$(VENV)/bin/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

index: $(INDEX_DIR)/current

# Incremental: reruns when pages, sources, synonyms or the index format change.
$(INDEX_DIR)/current: $(PAGES) corpus/sources.toml corpus/synonyms.txt corpus/best-bets.toml search_index/format.py | $(VENV)/.installed
	$(PY) -m indexer update --sources corpus/sources.toml --index-dir $(INDEX_DIR)
	$(PY) -m indexer export-onnx --cache var/models

# The search on the default corpus at http://localhost:$(PORT)/, and an example host page with the
# search widget embedded at http://localhost:$(DEMO_PORT)/site.html (another origin, allowed to call the API).
run: index
	$(PY) -m examples.host_page --port $(DEMO_PORT) --search-url http://localhost:$(PORT) & demo=$$!; \
	trap 'kill $$demo' EXIT INT TERM; \
	INDEX_DIR=$(INDEX_DIR) PAGES_DIR=$(CORPUS) PORT=$(PORT) \
		ALLOWED_ORIGINS=http://localhost:$(DEMO_PORT),http://127.0.0.1:$(DEMO_PORT) $(MAKE) --no-print-directory serve

# Production server: the app's settings and HOST, PORT, WORKERS, ... from the environment (README, Configuration).
serve: setup
	$(VENV)/bin/gunicorn --config search_app/gunicorn_conf.py 'search_app:create_app()'

# Debian's nginx, for the test of deploy/nginx.conf in front of two replicas (tests/test_replicas.py).
system-setup:
	command -v nginx >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx)

# Debian's PostgreSQL server, for the record's tests on PostgreSQL: each test session starts a private
# cluster of its own in /tmp (bench.servers.postgres); the package's own cluster is not used.
postgres-setup:
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql)

# Debian's Chromium and its driver, and axe-core from npm, for the real-browser test.
browser-setup:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver)
	cd tests/browser && npm ci --no-audit --no-fund

test: setup
	$(PY) -m ruff check .
	$(PY) -m pytest -q tests

# The benchmark corpus, indexed once and reused by eval and latency (rebuilt when the index format
# changes: every text keeps its vectors, from the published version or the machine's embedding cache,
# so that takes a few minutes; the first build with multilingual-e5 embeds 60,445 texts, about an
# hour on 2 cores), with 50 best bets so that latency measures their cost. Its pages link to local
# copies and keep their public addresses on these hosts as original URLs, by which the judgments name them.
SHARED_INDEX ?= var/medquad
SHARED_HOSTS := www.cancer.gov www.nlm.nih.gov ghr.nlm.nih.gov rarediseases.info.nih.gov nihseniorhealth.gov \
	www.cdc.gov www.nhlbi.nih.gov www.niddk.nih.gov www.ninds.nih.gov
shared-index: $(SHARED_INDEX)/current

$(SHARED_INDEX)/current: search_index/format.py bench/best-bets.toml | $(VENV)/.installed
	$(PY) -m indexer build --source $(SHARED)/corpus/medquad/pages --synonyms corpus/synonyms.txt \
		--best-bets bench/best-bets.toml \
		$(addprefix --allow-host ,$(SHARED_HOSTS)) --index-dir $(SHARED_INDEX)
	$(PY) -m indexer export-onnx --cache var/models

# Quality on the default corpus (its own plain-language questions, English and Spanish) and on the
# benchmark corpus; each reader alone and the shipped ranking side by side.
eval: index shared-index
	$(PY) -m bench.evaluate --index-dir $(INDEX_DIR) --eval-dir corpus/eval \
		--refusals bench/off-topic-questions.txt corpus/eval/patients-unanswered.txt corpus/eval/fuera-de-tema-es.txt \
		corpus/eval/pacientes-sin-respuesta-es.txt
	$(PY) -m bench.evaluate --index-dir $(SHARED_INDEX) --eval-dir $(SHARED)/eval bench/eval \
		--refusals bench/off-topic-questions.txt corpus/eval/fuera-de-tema-es.txt

# BASELINE_REPO, BASELINE_INDEX: a checkout of an earlier release and the index it serves, measured
# beside this one (README, "Load").
bench: shared-index
	command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)
	$(PY) -m bench.load --index-dir $(SHARED_INDEX) --eval-dir $(SHARED)/eval --seconds 15 --concurrency 1 16 \
		$(if $(BASELINE_REPO),--baseline-repo $(BASELINE_REPO) --baseline-index $(BASELINE_INDEX))

# How fast an editor's change reaches another replica, on SQLite and PostgreSQL (bench/curation.py).
bench-curation: index
	$(PY) -m bench.curation --index-dir $(INDEX_DIR)

# An index of N passages made from the benchmark's (bench/scale.py): build, search, recall, memory.
N ?= 1000000
bench-scale: shared-index
	$(PY) -m bench.scale --source-index $(SHARED_INDEX) --n $(N) --index-dir var/scale-$(N) \
		--queries $(SHARED)/eval/liveqa-dev.jsonl $(SHARED)/eval/medquad-questions.jsonl \
		--spanish-queries corpus/eval/pacientes-es.jsonl

bench-update: shared-index
	bench/update.sh $(SHARED_INDEX) $(SHARED)/corpus/medquad/pages

latency: shared-index
	$(PY) -m bench.latency --index-dir $(SHARED_INDEX) --queries $(SHARED)/eval/medquad-questions.jsonl

# Screenshots for the README (needs `make browser-setup`): results on the shared index; the widget on
# the example host page and the dashboard (generated usage figures) on the default corpus.
screenshots: index shared-index
	$(PY) -m tests.browser.screenshots $(SHARED_INDEX) docs "can breast cancer spread to the bones" $(INDEX_DIR)

# The second stage's cross-encoder, in var/ranker with its model card (not shipped: measured, it does
# not help people's questions yet; README, "Second stage"): MiniLM's first layers trained on MedQuAD's
# question/answer pairs over the benchmark corpus's passages, every evaluation set's questions left
# out. MEDQUAD: a checkout of github.com/abachaa/MedQuAD (checked by hash); DEVICE=cuda where a GPU is
# at hand (about 25 minutes on 2 CPU cores).
MEDQUAD ?= ../MedQuAD
DEVICE  ?= cpu
train-ranker: setup
	$(PY) -m training ranker --medquad $(MEDQUAD) --pages $(SHARED)/corpus/medquad/pages \
		--held-out $(SHARED)/eval bench/eval corpus/eval --device $(DEVICE) --out var/ranker

clean:
	rm -rf var
