#!/usr/bin/env bash
# A throw-away PostgreSQL server for the store tests, on 127.0.0.1:55432.
#
# Idempotent and quick: when the server already answers and the test role can log in, it does
# nothing (~50 ms). Otherwise it installs Debian's `postgresql` when no server binaries are
# found (root only), creates a cluster under $TRUNKBOT_PG_DIR (default /var/tmp/trunkbot-pg)
# owned by the `postgres` user (the server refuses to run as root), starts it listening on
# 127.0.0.1 only, and creates the role and database the tests use:
#
#     postgresql://trunkbot:trunkbot@127.0.0.1:55432/trunkbot_test
#
# (tests/pg.py reads TRUNKBOT_TEST_PG_URL and defaults to exactly that). Run as a non-root
# user, the cluster belongs to that user instead. The cluster is for tests only: fsync is
# off, and the socket and data live in the directory above. Stop it with
#     runuser -u postgres -- pg_ctl -D /var/tmp/trunkbot-pg/data stop
set -euo pipefail

PORT="${TRUNKBOT_PG_PORT:-55432}"
BASE="${TRUNKBOT_PG_DIR:-/var/tmp/trunkbot-pg}"
DATA="$BASE/data"
LOG="$BASE/server.log"
ROLE=trunkbot
DB=trunkbot_test
URL="postgresql://$ROLE:$ROLE@127.0.0.1:$PORT/$DB"

say() { echo "install-postgres: $*"; }

# Already up and usable? Then there is nothing to do.
if command -v psql >/dev/null && psql "$URL" -qAtc 'select 1' >/dev/null 2>&1; then
  say "already running on 127.0.0.1:$PORT"
  exit 0
fi

find_bindir() {
  local dir
  # Debian keeps the server outside PATH, one directory per major version; take the newest.
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
    return
  fi
  if command -v postgres >/dev/null && command -v initdb >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
  fi
}

BIN=$(find_bindir)
if [ -z "$BIN" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "no PostgreSQL server binaries found; run this script as root to install them" >&2
    exit 1
  fi
  say "installing postgresql from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  # We run our own cluster; ask the package not to create (and start) the default one on
  # 5432. A drop-in, not createcluster.conf itself, which dpkg owns as a conffile.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/trunkbot.conf
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  BIN=$(find_bindir)
  [ -n "$BIN" ] || { say "postgresql installed but no server binaries found" >&2; exit 1; }
fi

# Who owns and runs the cluster: `postgres` when we are root, else ourselves.
if [ "$(id -u)" -eq 0 ]; then
  getent passwd postgres >/dev/null ||
    useradd --system --home-dir "$BASE" --shell /usr/sbin/nologin postgres
  as_owner() { runuser -u postgres -- "$@"; }
  mkdir -p "$BASE"
  chown postgres: "$BASE"
else
  as_owner() { "$@"; }
  mkdir -p "$BASE"
fi
chmod 0755 "$BASE"  # the socket lives here; clients need to reach it

# A half-made cluster (say, an initdb that was killed) is started again from scratch.
if [ -d "$DATA" ] && [ ! -s "$DATA/PG_VERSION" ]; then
  rm -rf "$DATA"
fi
if [ ! -d "$DATA" ]; then
  say "creating a cluster in $DATA"
  as_owner "$BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  cat >>"$DATA/postgresql.conf" <<EOF

# trunkbot test cluster (.ci/install-postgres.sh): loopback only, speed over durability
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
fi

# Start it, and wait until it accepts connections. A server killed a moment ago may still
# be on its way out (pg_ctl status says running, the socket refuses): wait, then start.
ready() { "$BIN/pg_isready" -q -h "$BASE" -p "$PORT" -t 1 2>/dev/null; }
for _ in $(seq 1 60); do
  ready && break
  if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    say "starting the server on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null 2>&1 || {
      tail -n 20 "$LOG" >&2 || true
      exit 1
    }
    continue
  fi
  sleep 0.5
done
ready || { say "the server did not come up; its log:" >&2; tail -n 20 "$LOG" >&2; exit 1; }

# The role and database the tests log in with (superuser over the local socket, trusted).
su_psql() {
  as_owner "$BIN/psql" -h "$BASE" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}
su_psql -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$ROLE';
  END IF; END \$\$;"
if [ -z "$(su_psql -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  su_psql -c "CREATE DATABASE $DB OWNER $ROLE"
fi

"$BIN/psql" "$URL" -qAtc 'select 1' >/dev/null
say "ready: $URL"
