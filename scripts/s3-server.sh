#!/usr/bin/env bash
# A real S3 server for integration tests: OpenStack Swift 2.30 (Debian 12) with its s3api middleware, one replica on
# 127.0.0.1, everything (config, rings, storage, logs, pid files) under DIR. It checks SigV4 signatures.
#
#   scripts/s3-server.sh start DIR [PORT]   installs the missing Debian packages, starts memcached + the account,
#                                           container and object servers + the proxy (S3 on PORT; 0 or none = a free
#                                           port), waits until a signed request succeeds, then prints on stdout:
#                                             endpoint=http://127.0.0.1:PORT
#                                             access_key=test:tester
#                                             secret_key=<random, new on every start>
#                                             region=us-east-1
#                                           (the same lines are written to DIR/s3.env). On any failure: exit 1, one
#                                           line on stderr, and whatever it started is stopped again (exit 2: usage).
#   scripts/s3-server.sh install            only installs the missing Debian packages (scripts/test.sh does this first).
#   scripts/s3-server.sh stop DIR           stops exactly the processes that start recorded under DIR/run (SIGTERM,
#                                           up to 10 s, then SIGKILL). Idempotent. DIR itself is left (logs in DIR/log).
#
# Notes:
# - Every start begins with empty storage: DIR/etc, DIR/srv, DIR/run and DIR/log are recreated (nothing else in DIR
#   is touched). Starting a DIR that is still running is refused. Several DIRs can run at once: ports are chosen per
#   start (from 20000-31999, outside Linux's ephemeral range) and nothing is shared outside DIR.
# - Addressing is path-style only (http://127.0.0.1:PORT/bucket/key): no storage_domain is configured.
# - As root the daemons run as the `swift` user (DIR/etc, srv, run and log are chowned to it, and swift must be able
#   to reach DIR: a DIR under /root will not do). As another user they run as that user; only installs use sudo.
# - Requests must be SigV4-signed with region us-east-1 and carry x-amz-content-sha256 (a hash or UNSIGNED-PAYLOAD).
# - The one file outside DIR that Swift reads is /etc/swift/swift.conf (hash path prefix/suffix and storage
#   policies): Swift 2.30's servers read it from that fixed path whatever swift_dir says. The Debian package ships it;
#   if it is missing, a minimal one is written (idempotent, never overwritten).
# - The rings are built with Swift's RingBuilder (the code behind swift-ring-builder) in one Python process: the
#   nine swift-ring-builder invocations would take ~12 s of Python start-up. Inspect them with
#   `swift-ring-builder DIR/etc/object.builder`.
set -Eeuo pipefail

say() { printf 's3-server: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
usage() { say "usage: $0 start DIR [PORT] | $0 stop DIR | $0 install"; exit 2; }

PY=/usr/bin/python3        # Debian's Python, the one python3-swift is installed for (not a pyenv/venv python3)
REGION=us-east-1
ACCOUNT=test USER_NAME=tester
SERVICES=(memcached account container object proxy)
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

cmd="${1:-}"; DIR="${2:-}"

# --- Debian packages: install only those missing (scripts/lib/apt.sh: one install at a time across scripts)
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
install_packages() {
  apt_install_missing swift swift-proxy swift-object swift-container swift-account python3-swift memcached curl || exit 1
}

if [ "$cmd" = install ] && [ $# -eq 1 ]; then
  install_packages
  exit 0
fi
[ -n "$cmd" ] && [ -n "$DIR" ] || usage

# --- process bookkeeping (scripts/lib/processes.sh): DIR/run/NAME.pid holds "PID STARTTIME" -------------------------
source "$(dirname "${BASH_SOURCE[0]}")/lib/processes.sh"
running() { running_in "$DIR/run"; }  # each recorded process still alive
stop_all() {
  [ -d "$DIR/run" ] || return 0
  local procs=() alive=() p i
  mapfile -t procs < <(running)
  for p in "${procs[@]}"; do kill -TERM "${p%% *}" 2>/dev/null || true; done
  for ((i = 0; i < 100; i++)); do   # up to 10 s
    alive=()
    for p in "${procs[@]}"; do if ours $p; then alive+=("$p"); fi; done
    [ ${#alive[@]} -eq 0 ] && break
    sleep 0.1
  done
  for p in "${alive[@]}"; do kill -KILL "${p%% *}" 2>/dev/null || true; done
  rm -f "$DIR"/run/*.pid
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

if ! grep -qs '^\s*swift_hash_path_\(suffix\|prefix\)\s*=' /etc/swift/swift.conf; then
  say "writing a minimal /etc/swift/swift.conf"
  printf '[swift-hash]\nswift_hash_path_suffix = rotoscope-tests\nswift_hash_path_prefix = rotoscope-tests\n\n[storage-policy:0]\nname = Policy-0\ndefault = yes\n' \
    | as_root sh -c 'mkdir -p /etc/swift && if [ ! -e /etc/swift/swift.conf ]; then cat >/etc/swift/swift.conf; fi'
  grep -qs '^\s*swift_hash_path_\(suffix\|prefix\)\s*=' /etc/swift/swift.conf \
    || { say "/etc/swift/swift.conf exists but sets neither swift_hash_path_suffix nor swift_hash_path_prefix"; exit 1; }
fi

# --- DIR ------------------------------------------------------------------------------------------------------------
mkdir -p "$DIR" || { say "cannot create $DIR"; exit 1; }
DIR=$(cd "$DIR" && pwd -P)
case "$DIR" in *[[:space:]]*|*[\"\'\\\$\`]*) say "DIR must not contain spaces or quotes: $DIR"; exit 1 ;; esac
if [ -n "$(running)" ]; then say "a server is already running in $DIR (run: $0 stop $DIR)"; exit 1; fi
if [ "$(id -u)" -eq 0 ]; then
  RUN_USER=swift
  getent passwd swift >/dev/null || { say "the swift user does not exist (it comes with the Debian swift package)"; exit 1; }
else
  RUN_USER=$(id -un)
fi

fail_on_errors   # scripts/lib/processes.sh: fail MESSAGE stops what was started (started=1) and exits 1

# Attempt: prepare a fresh tree, pick ports, write configs, start the storage servers, build the rings meanwhile,
# start the proxy, wait. Sets RETRY=1 when a chosen port was taken in the meantime (worth another try with new ports);
# fails outright on anything else.
attempt() {
  RETRY=0
  rm -rf "$DIR/etc" "$DIR/srv" "$DIR/run" "$DIR/log"
  mkdir -p "$DIR/etc" "$DIR/srv/d1" "$DIR/run" "$DIR/log"

  # Storage xattr check, ports (the proxy's, if given, must be free) and a random secret: one quick Python run.
  local out
  out=$("$PY" - "$PORT" "$DIR/srv/d1" 2>&1 <<'EOF'
import os, random, secrets, socket, sys
fixed, dev = int(sys.argv[1]), sys.argv[2]
try:
    os.setxattr(dev, 'user.s3server.probe', b'1'); os.removexattr(dev, 'user.s3server.probe')
except OSError as e:
    sys.exit('the storage directory %s does not support user xattrs (%s); use a DIR on ext4, xfs or tmpfs' % (dev, e.strerror))
def free(port):
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', port)); return True
    except OSError:
        return False
    finally:
        s.close()
if fixed and not free(fixed):
    sys.exit('port %d on 127.0.0.1 is already in use' % fixed)
ports, rng = [], random.SystemRandom()
while len(ports) < (4 if fixed else 5):
    p = rng.randrange(20000, 32000)   # below Linux's ephemeral range, so outgoing connections do not take them
    if p != fixed and p not in ports and free(p):
        ports.append(p)
if fixed:
    ports.append(fixed)
print(*ports, secrets.token_hex(20))
EOF
  ) || fail "$(printf '%s' "$out" | tail -n 1)"
  local mc_port acc_port con_port obj_port proxy_port secret
  read -r mc_port acc_port con_port obj_port proxy_port secret <<<"$(printf '%s' "$out" | tail -n 1)"

  local common="[DEFAULT]
bind_ip = 127.0.0.1
workers = 0
bind_timeout = 2
user = $RUN_USER
swift_dir = $DIR/etc
devices = $DIR/srv
mount_check = false
log_level = INFO
# generous timeouts between the servers: on a loaded test machine a missed object->container or container->account
# update would be left for updater daemons that do not run here (objects or buckets missing from listings)
conn_timeout = 5
node_timeout = 30
# no syslog: a missing socket makes Swift fall back to UDP localhost:514; the console log (-v) goes to $DIR/log
log_address = $DIR/log/no-syslog
"
  local s extra port_var
  for s in account container object; do
    port_var="${s:0:3}_port" extra=
    # (objects: the storage is a test directory, reserve no disk space; wait for the container update, see above)
    [ $s = object ] && extra=$'fallocate_reserve = 0\ncontainer_update_timeout = 30\n'
    printf '%sbind_port = %s\n\n[pipeline:main]\npipeline = healthcheck %s-server\n\n[app:%s-server]\nuse = egg:swift#%s\n%s\n[filter:healthcheck]\nuse = egg:swift#healthcheck\n' \
      "$common" "${!port_var}" "$s" "$s" "$s" "$extra" >"$DIR/etc/$s-server.conf"
  done
  cat >"$DIR/etc/proxy-server.conf" <<EOF
${common}bind_port = $proxy_port

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo versioned_writes symlink proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:s3api]
use = egg:swift#s3api
location = $REGION
# path-style addressing only (no storage_domain). Part numbers up to 10000 as on AWS (Swift's default is 1000; the
# slo filter below allows as many segments); the rest are Swift 2.30's defaults, spelled out:
max_upload_part_num = 10000
dns_compliant_bucket_names = true
allow_multipart_uploads = true
max_bucket_listing = 1000
max_parts_listing = 1000
min_segment_size = 5242880
max_multi_delete_objects = 1000
s3_acl = false
check_bucket_owner = false

[filter:tempauth]
use = egg:swift#tempauth
# S3 access key "$ACCOUNT:$USER_NAME", secret below (random per start)
user_${ACCOUNT}_${USER_NAME} = $secret .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$mc_port

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
EOF
  if [ "$RUN_USER" = swift ]; then
    chown -R swift:swift "$DIR/etc" "$DIR/srv" "$DIR/run" "$DIR/log"
    setpriv --reuid=swift --regid=swift --init-groups test -w "$DIR/srv/d1" -a -r "$DIR/etc/proxy-server.conf" \
      || fail "the swift user cannot reach $DIR (a parent directory is not searchable by others); use a DIR under /tmp"
  fi

  # Start: stdin from /dev/null, output to DIR/log (never the caller's pipes), no other inherited descriptors.
  launch() {
    local name=$1; shift
    (
      trap - ERR; set +e
      exec </dev/null >>"$DIR/log/$name.log" 2>&1
      for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null; fi; done
      exec "$@"
    ) &
    echo "$! $(starttime $!)" >"$DIR/run/$name.pid"
  }
  started=1
  # As root, each daemon is started as swift directly (setpriv execs, so the recorded PID stays right): with
  # workers = 0 (one process per server, no forked workers) Swift never drops privileges itself.
  # EVENTLET_NO_GREENDNS: everything is addressed by IP, and skipping eventlet's dnspython import saves ~0.4 s each.
  local as_swift=(env EVENTLET_NO_GREENDNS=yes)
  [ "$RUN_USER" = swift ] && as_swift=(setpriv --reuid=swift --regid=swift --init-groups "${as_swift[@]}" HOME=/var/lib/swift)
  launch memcached "${as_swift[@]}" memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 64
  for s in account container object; do launch "$s" "${as_swift[@]}" "swift-$s-server" "$DIR/etc/$s-server.conf" -v; done

  # The rings (only the proxy reads them), built while those start, with Swift's RingBuilder: one device per ring.
  out=$(cd "$DIR/etc" && "${as_swift[@]}" "$PY" - "$acc_port" "$con_port" "$obj_port" 2>&1 <<'EOF'
import sys
from swift.common.ring import RingBuilder
for name, port in zip(('account', 'container', 'object'), sys.argv[1:]):
    b = RingBuilder(8, 1, 1)   # 2^8 partitions, 1 replica, min_part_hours 1
    b.add_dev({'region': 1, 'zone': 1, 'ip': '127.0.0.1', 'port': int(port), 'device': 'd1', 'weight': 100})
    b.rebalance()
    b.save(name + '.builder')
    b.get_ring().save(name + '.ring.gz')
EOF
  ) || fail "could not build the Swift rings: $(printf '%s' "$out" | tail -n 1)"
  launch proxy "${as_swift[@]}" swift-proxy-server "$DIR/etc/proxy-server.conf" -v

  # Wait (up to 60 s) until the account, container and object servers answer their healthcheck and a SigV4-signed
  # ListBuckets through the proxy succeeds, with every daemon still alive; stop early if one died.
  local deadline=$((SECONDS + 60)) code name pid st p up
  ENDPOINT="http://127.0.0.1:$proxy_port" SECRET=$secret
  while :; do
    up=1 code=
    for p in "$acc_port" "$con_port" "$obj_port"; do
      [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "http://127.0.0.1:$p/healthcheck" 2>/dev/null)" = 200 ] \
        || { up=0; break; }
    done
    if [ $up -eq 1 ]; then
      # (the access key holds a colon, which --user would split on: pass it percent-encoded in the URL instead)
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --aws-sigv4 "aws:amz:$REGION:s3" \
        -H "x-amz-content-sha256: $EMPTY_SHA256" "http://$ACCOUNT%3A$USER_NAME:$secret@127.0.0.1:$proxy_port/" 2>/dev/null) || true
      [ "$code" = 200 ] || up=0
    fi
    for name in "${SERVICES[@]}"; do
      read -r pid st <"$DIR/run/$name.pid" || true
      if ! ours "$pid" "$st"; then
        if grep -qs 'Address already in use\|Could not bind' "$DIR/log/$name.log" \
           && { [ "$name" != proxy ] || [ "$PORT" -eq 0 ]; }; then
          stop_all; started=0; RETRY=1; return 0
        fi
        fail "$name exited during start-up: $(grep -v '^\s*$' "$DIR/log/$name.log" | tail -n 1) (see $DIR/log/$name.log)"
      fi
    done
    [ $up -eq 1 ] && return 0
    [ $SECONDS -lt $deadline ] || fail "no signed S3 answer from $ENDPOINT within 60 s (last HTTP status ${code:-none}; logs in $DIR/log)"
    sleep 0.2
  done
}

for try in 1 2 3; do
  attempt
  [ "$RETRY" -eq 0 ] && break
  [ $try -lt 3 ] || fail "could not get free ports on 127.0.0.1 after 3 tries"
done
trap - ERR INT TERM HUP

info="endpoint=$ENDPOINT
access_key=$ACCOUNT:$USER_NAME
secret_key=$SECRET
region=$REGION"
printf '%s\n' "$info" >"$DIR/s3.env"
printf '%s\n' "$info"
