# ChangeBreeze: `make run` starts the demo, `make test` runs the suite, `make bench` the benchmarks,
# `make soak` the load and fault soak of the production shape, `make lock` re-locks the requirements.
PYTHON ?= python3
VENV := .venv
LOAD_VENV := .venv-load
FLASK := $(VENV)/bin/flask --app app
APP_PORT ?= 5000
SIM_PORT ?= 5055

.PHONY: run test test-at bench soak mutation install install-dev browser migrate clean prod-local lock

# Two locks, every dependency pinned with its hashes: requirements.txt (runtime, all that `make run`
# and production install) and requirements-dev.txt (test tools, for `make test` only). Each stamp
# follows its lock, so a changed lock installs again.
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements.txt -r requirements-dev.txt
	touch $@

# Re-lock after editing requirements.in, requirements-dev.in or benchmarks/load/requirements.in
# (Python 3.11, Linux x86_64). Pins already in a lock stay unless LOCK_ARGS says otherwise, e.g.
# `make lock LOCK_ARGS=--upgrade` or `LOCK_ARGS="--upgrade-package requests"`. The dev lock is
# constrained by the runtime lock (-c requirements.txt), so both always agree.
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes \
  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/pip-compile || $(VENV)/bin/pip install --quiet pip-tools==7.7.0
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in
	$(PIP_COMPILE) -o benchmarks/load/requirements.txt benchmarks/load/requirements.in

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here), and
# axe-core from npm (pinned in tests/browser/package-lock.json) for their accessibility checks.
browser:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }
	@test -f tests/browser/node_modules/axe-core/axe.min.js || npm ci --prefix tests/browser --no-audit --no-fund --silent

migrate: install
	mkdir -m 700 -p instance
	$(FLASK) db upgrade

# The simulator starts first so seed-demo can check status names and match members against it;
# the scheduler process (outbox delivery, syncs) runs beside the app, never inside it. The URL is
# printed once the app listens.
# The demo follows the ports: seed-demo points the demo organisation at the simulator on SIM_PORT
# and links posted to ConnectWise use APP_PORT (unless CW_SIMULATOR_URL / APP_BASE_URL are set).
run: export CW_SIMULATOR_URL ?= http://127.0.0.1:$(SIM_PORT)/v4_6_release/apis/3.0
run: export APP_BASE_URL ?= http://127.0.0.1:$(APP_PORT)
run: migrate
	@$(FLASK) cw-sim --port $(SIM_PORT) > instance/cw-sim.log 2>&1 & sim=$$!; \
	  trap 'kill $$sim $$sched $$app 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/python scripts/wait_for_port.py $(SIM_PORT) && \
	  $(FLASK) seed-demo && \
	  { $(FLASK) scheduler > instance/scheduler.log 2>&1 & sched=$$!; } && \
	  { $(FLASK) run --host 127.0.0.1 --port $(APP_PORT) & app=$$!; } && \
	  $(VENV)/bin/python scripts/wait_for_port.py $(APP_PORT) 120 && \
	  echo "" && \
	  echo "  ChangeBreeze:            http://127.0.0.1:$(APP_PORT)" && \
	  echo "  ConnectWise simulator:   http://127.0.0.1:$(SIM_PORT)  (log: instance/cw-sim.log)" && \
	  echo "  Scheduler:               running (log: instance/scheduler.log)" && \
	  echo "  Demo logins (password changebreeze): admin@demo.test (admin), msp@demo.test (msp)," && \
	  echo "    engineer@demo.test, tech.approver@demo.test, ops.approver@demo.test," && \
	  echo "    vcab1@demo.test, vcab2@demo.test, vcab3@demo.test, viewer@demo.test" && \
	  echo "" && \
	  wait $$app

test: install-dev browser
	$(VENV)/bin/pytest

# The suite with the app's clock set to AT (Debian's faketime; the browser keeps the real one), to
# show no test depends on the hour it runs: make test-at AT='2026-12-08 03:30:00'
AT ?= 2026-12-08 03:30:00
test-at: install-dev browser
	@command -v faketime >/dev/null || { echo "make test-at needs Debian's faketime: apt-get install faketime"; exit 1; }
	TZ=UTC PYTHONPATH=. faketime '$(AT)' $(VENV)/bin/pytest -p tests.helpers.real_clock_for_children

# The production shape on loopback: PostgreSQL, gunicorn (4 workers), the scheduler, the simulator.
prod-local: install
	APP_PORT=$(or $(PROD_PORT),8000) SIM_PORT=$(or $(PROD_SIM_PORT),5056) VENV=$(VENV) bash deploy/prod-local.sh

bench: install
	$(VENV)/bin/python -m benchmarks
	$(VENV)/bin/python -m benchmarks.pages
	$(VENV)/bin/python -m benchmarks.lifecycle

# The load driver (locust) lives in its own venv so it never touches the app's requirements.
$(LOAD_VENV)/.installed: benchmarks/load/requirements.txt
	test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/pip install --quiet --require-hashes -r benchmarks/load/requirements.txt
	touch $@

# Two gunicorn masters, the scheduler, the simulator and PostgreSQL on loopback (.run/soak), seeded
# and synced, then a clean and a fault soak; SOAK_SECONDS, SOAK_USERS, SEED_SCALE, SIM_SCALE tune it.
soak: install $(LOAD_VENV)/.installed
	$(VENV)/bin/python -m benchmarks.load.soak --venv $(VENV) --load-venv $(LOAD_VENV)

# Mutation testing (mutmut, configured in setup.cfg): mutants of the approval rules, the outbox
# planning and delivery and the configuration sync, each run against the tests that call it.
# MUTANTS picks some ("cbcw.changes.policy*"); results stay in mutants/ and later runs reuse them.
MUTATION_CHILDREN ?= 2
mutation: install-dev
	$(VENV)/bin/mutmut run --max-children $(MUTATION_CHILDREN) $(MUTANTS)
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) $(LOAD_VENV) instance mutants
