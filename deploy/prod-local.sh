#!/usr/bin/env bash
# `make prod-local`: the production process model on loopback, for trying and testing it —
# PostgreSQL from Debian's packages, gunicorn with WORKERS web workers, the scheduler process,
# and the ConnectWise simulator. Ctrl-C stops everything it started (by process id).
# HOSTS=2 starts a second gunicorn master on APP_PORT+1 sharing only PostgreSQL: a stand-in for
# a second host behind a load balancer (the load soak, benchmarks/load/, uses it). RUN_DIR keeps
# a separate cluster and logs (default .run/prod-local). The environment the processes run with,
# without the secrets, is written to $RUN_DIR/app.env for tools that run `flask` against it.
set -euo pipefail
cd "$(dirname "$0")/.."

APP_PORT=${APP_PORT:-8000}
SIM_PORT=${SIM_PORT:-5056}
PG_PORT=${PG_PORT:-54330}
WORKERS=${WORKERS:-4}
HOSTS=${HOSTS:-1}
VENV=${VENV:-.venv}
RUN=${RUN_DIR:-.run/prod-local}
mkdir -p "$RUN" && chmod 711 "$(dirname "$RUN")" "$RUN"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  else
    echo "make prod-local needs Debian's PostgreSQL: sudo apt-get install postgresql" >&2; exit 1
  fi
fi
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else sh -c "$*"; fi; }

# Secrets are made once and kept (owner-only) so stored keys stay readable across restarts.
if [ ! -f "$RUN/secrets.env" ]; then
  umask 077
  "$VENV/bin/python" - > "$RUN/secrets.env" <<'PY'
import secrets, uuid
from cryptography.fernet import Fernet
print(f"SECRET_KEY={secrets.token_urlsafe(48)}")
print(f"CBCW_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
print(f"CW_CLIENT_ID={uuid.uuid4()}")
PY
  umask 022
fi
set -a; . "$RUN/secrets.env"; set +a

pg_data="$RUN/pg"
if [ ! -f "$pg_data/PG_VERSION" ]; then
  mkdir -p "$pg_data"; [ "$(id -u)" = 0 ] && chown postgres "$pg_data"
  as_pg "$pg_bin/initdb -D $pg_data -A trust -U postgres --no-sync" >/dev/null
fi
as_pg "$pg_bin/pg_ctl -D $pg_data -l $pg_data/server.log -w -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1' start" >/dev/null
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_pg "$pg_bin/pg_ctl -D $pg_data -m fast stop" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
as_pg "$pg_bin/psql -h 127.0.0.1 -p $PG_PORT -U postgres -tAc \"SELECT 1 FROM pg_database WHERE datname='changebreeze'\"" | grep -q 1 \
  || as_pg "$pg_bin/createdb -h 127.0.0.1 -p $PG_PORT -U postgres changebreeze"

export CBCW_ENV=production
export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/changebreeze"
export APP_BASE_URL="http://127.0.0.1:$APP_PORT"
export CW_SIMULATOR_URL="http://127.0.0.1:$SIM_PORT/v4_6_release/apis/3.0"
# Loopback only, with no TLS: the simulator is plain http on 127.0.0.1, cookies go over http.
export CW_ALLOW_HTTP=1 CW_ALLOWED_PRIVATE_NETWORKS=127.0.0.0/8 SESSION_COOKIE_SECURE=0
flask=("$VENV/bin/flask" --app app)
for name in CBCW_ENV DATABASE_URL APP_BASE_URL CW_SIMULATOR_URL CW_ALLOW_HTTP CW_ALLOWED_PRIVATE_NETWORKS \
            SESSION_COOKIE_SECURE; do printf '%s=%s\n' "$name" "${!name}"; done > "$RUN/app.env"

"${flask[@]}" db upgrade
"${flask[@]}" cw-sim --port "$SIM_PORT" ${SIM_SCALE:+--scale "$SIM_SCALE"} > "$RUN/cw-sim.log" 2>&1 & pids+=($!)
"$VENV/bin/python" scripts/wait_for_port.py "$SIM_PORT"
"${flask[@]}" seed-demo ${SEED_SCALE:+--scale "$SEED_SCALE"}
"${flask[@]}" scheduler > "$RUN/scheduler.log" 2>&1 & pids+=($!)
ports=()
for ((host = 1; host <= HOSTS; host++)); do
  port=$((APP_PORT + host - 1)); suffix=$([ "$host" = 1 ] || echo "-$host")
  # No gunicorn access log: its request lines hold tokens; the app logs each request redacted.
  "$VENV/bin/gunicorn" --workers "$WORKERS" --bind "127.0.0.1:$port" --timeout 30 \
    wsgi:app > "$RUN/gunicorn$suffix.log" 2>&1 & pids+=($!)
  ports+=("$port")
done
for port in "${ports[@]}"; do "$VENV/bin/python" scripts/wait_for_port.py "$port"; done

cat <<MSG

  ChangeBreeze (production shape): ${ports[*]/#/http://127.0.0.1:}   ($HOSTS × $WORKERS gunicorn workers)
  PostgreSQL:                      127.0.0.1:$PG_PORT, database changebreeze
  ConnectWise simulator:           http://127.0.0.1:$SIM_PORT
  Scheduler:                       running
  Logs in $RUN/: gunicorn*.log, access*.log, scheduler.log, cw-sim.log, pg/server.log
  Demo logins as for make run (password changebreeze). Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
