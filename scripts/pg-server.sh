#!/usr/bin/env bash
# A throw-away PostgreSQL 15 server (Debian 12's) for integration tests: one cluster on 127.0.0.1, everything (data,
# unix socket, pid file, log) under DIR. Durability is off (fsync, synchronous_commit, full_page_writes): a crash may
# lose it, which is the point of a throw-away server.
#
#   scripts/pg-server.sh start DIR [PORT]   installs the missing Debian packages, makes a fresh cluster in DIR/data,
#                                           starts it on 127.0.0.1:PORT (0 or none = a free port), creates the login
#                                           role `rotoscope` (random password, new on every start; CREATEDB) and its
#                                           database `rotoscope`, checks a query over TCP with that password, then
#                                           prints on stdout:
#                                             connection=Host=127.0.0.1;Port=PORT;Database=rotoscope;Username=rotoscope;Password=<hex>
#                                             port=PORT
#                                           (an Npgsql connection string; the same lines are written to DIR/pg.env).
#                                           On any failure: exit 1, one line on stderr, and the server, if it was
#                                           started, is stopped again (exit 2: usage).
#   scripts/pg-server.sh install            only installs the missing Debian packages (scripts/test.sh does this first).
#   scripts/pg-server.sh stop DIR           stops exactly the postmaster that start recorded in DIR/run/postgres.pid:
#                                           a fast shutdown (SIGINT: clients are disconnected, open transactions rolled
#                                           back), up to 10 s, then an immediate one (SIGQUIT), up to 5 s, then SIGKILL
#                                           for it and the children it had. Idempotent. DIR itself is left (log in
#                                           DIR/log).
#
# Notes:
# - Every start begins with an empty cluster: DIR/data, DIR/run and DIR/log are recreated (nothing else in DIR is
#   touched). Starting a DIR that is still running is refused. Several DIRs can run at once: ports are chosen per start
#   (from 20000-31999, outside Linux's ephemeral range; a port taken meanwhile means another try with another) and
#   nothing is shared outside DIR.
# - Authentication: scram-sha-256 over TCP, on 127.0.0.1 only (no other address is listened on or accepted); trust on
#   the unix socket in DIR/run, for the superuser `postgres` (psql -h DIR/run -p PORT -U postgres postgres).
# - max_connections = 200: Hangfire's workers each hold a connection, and several servers may share one database.
# - As root the server runs as the `postgres` user (initdb and postgres refuse root; DIR/data, run and log are chowned
#   to it, and it must be able to reach DIR: a DIR under /root will not do). As another user it runs as that user; only
#   installs use sudo.
# - Installing postgresql-15 may make and start Debian's own `main` cluster on port 5432 (where services start); it is
#   neither used nor touched here.
set -Eeuo pipefail

say() { printf 'pg-server: %s\n' "$*" >&2; }
usage() { say "usage: $0 start DIR [PORT] | $0 stop DIR | $0 install"; exit 2; }

BIN=/usr/lib/postgresql/15/bin
DB=rotoscope ROLE=rotoscope

cmd="${1:-}"; DIR="${2:-}"
# (libpq's environment must not steer the psql and pg_isready calls below elsewhere)
while read -r v; do unset "$v"; done < <(compgen -e | grep '^PG' || true)

# --- Debian packages: install only those missing (scripts/lib/apt.sh: one install at a time across scripts)
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
install_packages() { apt_install_missing postgresql-15 postgresql-client-15 || exit 1; }

if [ "$cmd" = install ] && [ $# -eq 1 ]; then
  install_packages
  exit 0
fi
[ -n "$cmd" ] && [ -n "$DIR" ] || usage

# --- process bookkeeping (scripts/lib/processes.sh): DIR/run/postgres.pid holds "PID STARTTIME" ----------------------
source "$(dirname "${BASH_SOURCE[0]}")/lib/processes.sh"
running() { running_in "$DIR/run"; }  # the recorded postmaster, if it is still alive
children() {  # children PID: prints "PID STARTTIME" of each process whose parent is PID
  local parent=$1 f s
  for f in /proc/[0-9]*/stat; do
    { read -r s <"$f"; } 2>/dev/null || continue
    s=${s##*) }
    set -- $s
    if [ "$2" = "$parent" ]; then f=${f#/proc/}; echo "${f%/stat} ${20}"; fi
  done
}
wait_gone() {  # wait_gone TENTHS "PID STARTTIME"...: true once none of them is alive, false after TENTHS × 0.1 s
  local n=$1 i p alive; shift
  for ((i = 0; i <= n; i++)); do
    alive=0
    for p in "$@"; do if ours $p; then alive=1; break; fi; done
    [ $alive -eq 0 ] && return 0
    [ $i -lt $n ] && sleep 0.1
  done
  return 1
}
stop_all() {
  [ -d "$DIR/run" ] || return 0
  local pm kids=() p
  pm=$(running)
  if [ -n "$pm" ]; then
    kill -INT "${pm%% *}" 2>/dev/null || true                    # fast shutdown
    if ! wait_gone 100 "$pm"; then
      kill -QUIT "${pm%% *}" 2>/dev/null || true                 # immediate shutdown
      if ! wait_gone 50 "$pm"; then
        mapfile -t kids < <(children "${pm%% *}")        # (before the kill: then they would be init's)
        for p in "$pm" "${kids[@]}"; do if ours $p; then kill -KILL "${p%% *}" 2>/dev/null || true; fi; done
        wait_gone 50 "$pm" "${kids[@]}" || true
      fi
    fi
  fi
  rm -f "$DIR/run/postgres.pid"
}

if [ "$cmd" = stop ]; then
  [ $# -eq 2 ] || usage
  [ -d "$DIR" ] || exit 0
  DIR=$(cd "$DIR" && pwd -P)
  stop_all
  exit 0
fi
[ "$cmd" = start ] && [ $# -le 3 ] || usage
PORT="${3:-0}"
[[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -le 65535 ] || { say "PORT must be a number from 0 to 65535, not '$PORT'"; exit 2; }

install_packages
[ -x "$BIN/postgres" ] && [ -x "$BIN/initdb" ] && [ -x "$BIN/psql" ] \
  || { say "$BIN lacks postgres, initdb or psql (Debian's postgresql-15 and postgresql-client-15)"; exit 1; }

# --- DIR ------------------------------------------------------------------------------------------------------------
mkdir -p "$DIR" || { say "cannot create $DIR"; exit 1; }
DIR=$(cd "$DIR" && pwd -P)
case "$DIR" in *[[:space:]]*|*[\"\'\\\$\`]*) say "DIR must not contain spaces or quotes: $DIR"; exit 1 ;; esac
# (the socket is DIR/run/.s.PGSQL.PORT, and a unix socket path has at most 107 bytes)
[ ${#DIR} -le 85 ] || { say "DIR is too long for a unix socket path inside it (at most 85 characters): $DIR"; exit 1; }
cd "$DIR"   # (initdb and postgres, as the postgres user, would complain about a working directory they cannot enter)
if [ -n "$(running)" ]; then say "a server is already running in $DIR (run: $0 stop $DIR)"; exit 1; fi
as_run_user=()
if [ "$(id -u)" -eq 0 ]; then
  getent passwd postgres >/dev/null || { say "the postgres user does not exist (it comes with Debian's postgresql-15)"; exit 1; }
  as_run_user=(setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql)
fi

last_error() {  # last_error LOG: its last FATAL or PANIC line, else its last line
  local line
  line=$(grep -E 'FATAL:|PANIC:' "$1" 2>/dev/null | tail -n 1) || true
  [ -n "$line" ] || line=$(grep -v '^\s*$' "$1" 2>/dev/null | tail -n 1) || true
  printf '%s' "${line:-(nothing logged)}"
}

fail_on_errors   # scripts/lib/processes.sh: fail MESSAGE stops what was started (started=1) and exits 1

# Attempt: a fresh cluster on a port, started and waited for. Sets RETRY=1 when the port was taken in the meantime
# (worth another try with another); fails outright on anything else.
attempt() {
  RETRY=0
  rm -rf "$DIR/data" "$DIR/run" "$DIR/log"
  mkdir -p "$DIR/data" "$DIR/run" "$DIR/log"
  chmod 700 "$DIR/data"
  if [ ${#as_run_user[@]} -gt 0 ]; then
    chown postgres:postgres "$DIR/data" "$DIR/run" "$DIR/log"
    "${as_run_user[@]}" test -w "$DIR/data" -a -w "$DIR/run" \
      || fail "the postgres user cannot reach $DIR (a parent directory is not searchable by others); use a DIR under /tmp"
  fi

  # The port: the one given, else a random one that nothing answers on (a race with another process is caught below).
  local port=$PORT i
  if [ "$port" -ne 0 ]; then
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then fail "port $port on 127.0.0.1 is already in use"; fi
  else
    for ((i = 0; i < 50; i++)); do
      port=$((20000 + SRANDOM % 12000))
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
    done
  fi

  local out
  out=$("${as_run_user[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -E UTF8 --no-locale -A trust -N 2>&1) \
    || fail "initdb failed: $(printf '%s' "$out" | grep -v '^\s*$' | tail -n 1)"
  cat >"$DIR/data/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  scram-sha-256
EOF
  cat >>"$DIR/data/postgresql.conf" <<EOF

# --- scripts/pg-server.sh: a throw-away test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$DIR/run'
unix_socket_permissions = 0770
max_connections = 200
password_encryption = scram-sha-256
fsync = off
synchronous_commit = off
full_page_writes = off
huge_pages = off
logging_collector = off
log_timezone = 'UTC'
timezone = 'UTC'
EOF

  # Start: stdin from /dev/null, output to DIR/log (never the caller's pipes), no other inherited descriptors. As root
  # setpriv execs postgres, so the recorded PID is the postmaster's.
  (
    trap - ERR INT TERM HUP; set +e
    exec </dev/null >>"$DIR/log/postgres.log" 2>&1
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null; fi; done
    exec "${as_run_user[@]}" "$BIN/postgres" -D "$DIR/data"
  ) &
  echo "$! $(starttime $!)" >"$DIR/run/postgres.pid"
  started=1

  # Wait (up to 30 s) until the server accepts connections on its socket, stopping early if it died.
  local deadline=$((SECONDS + 30)) pid st
  read -r pid st <"$DIR/run/postgres.pid"
  until "$BIN/pg_isready" -q -h "$DIR/run" -p "$port" -t 2; do
    if ! ours "$pid" "$st"; then
      if grep -qs 'could not bind\|Address already in use\|could not create any TCP/IP sockets' "$DIR/log/postgres.log" \
         && [ "$PORT" -eq 0 ]; then
        stop_all; started=0; RETRY=1; return 0
      fi
      grep -qs 'could not bind' "$DIR/log/postgres.log" && fail "port $port on 127.0.0.1 is already in use"
      fail "postgres exited during start-up: $(last_error "$DIR/log/postgres.log") (see $DIR/log/postgres.log)"
    fi
    [ $SECONDS -lt $deadline ] || fail "postgres did not accept connections within 30 s (see $DIR/log/postgres.log)"
    sleep 0.1
  done

  # The role and its database (as the superuser, over the socket), then a real query over TCP with the password.
  local password
  password=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
  out=$("$BIN/psql" -X -q -w -v ON_ERROR_STOP=1 -h "$DIR/run" -p "$port" -U postgres -d postgres \
        -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$password'" -c "CREATE DATABASE $DB OWNER $ROLE" 2>&1) \
    || fail "could not create the role and database: $(printf '%s' "$out" | grep -v '^\s*$' | tail -n 1)"
  out=$(PGPASSWORD=$password PGCONNECT_TIMEOUT=10 "$BIN/psql" -X -w -At -v ON_ERROR_STOP=1 \
        -d "host=127.0.0.1 port=$port dbname=$DB user=$ROLE" -c "SELECT current_user" 2>&1) \
    || fail "no answer over TCP on 127.0.0.1:$port: $(printf '%s' "$out" | grep -v '^\s*$' | tail -n 1)"
  [ "$out" = "$ROLE" ] || fail "unexpected answer over TCP on 127.0.0.1:$port: $out"
  PORT_USED=$port PASSWORD=$password
}

for try in 1 2 3; do
  attempt
  [ "$RETRY" -eq 0 ] && break
  [ $try -lt 3 ] || fail "could not get a free port on 127.0.0.1 after 3 tries"
done
trap - ERR INT TERM HUP

info="connection=Host=127.0.0.1;Port=$PORT_USED;Database=$DB;Username=$ROLE;Password=$PASSWORD
port=$PORT_USED"
printf '%s\n' "$info" >"$DIR/pg.env"
printf '%s\n' "$info"
