# Process bookkeeping for the test servers' scripts (s3-server.sh, pg-server.sh); sourced, not run on its own.
# A started process is recorded as "PID STARTTIME" (the kernel's start time from /proc/PID/stat), so that a PID the
# kernel has since given to another process is never signalled. Everything here reads /proc with bash builtins only:
# stopping polls these often.

# starttime PID: the process's start time in clock ticks since boot (empty when there is no such process).
starttime() { local s; { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 0; s=${s##*) }; set -- $s; echo "${20}"; }

# ours PID STARTTIME: is that process still the one we started (and not a zombie)?
ours() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ -n "${2:-}" ] || return 1
  local want=$2 s
  { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
  s=${s##*) }
  set -- $s
  [ "$1" != Z ] && [ "${20}" = "$want" ]
}

# running_in FOLDER: prints "PID STARTTIME" for each process recorded in FOLDER/*.pid that is still alive.
running_in() {
  local f pid st
  for f in "$1"/*.pid; do
    [ -f "$f" ] || continue
    read -r pid st <"$f" || true
    if ours "$pid" "$st"; then echo "$pid $st"; fi
  done
}

# fail MESSAGE: one line on stderr (the caller's say), stop what was started (the caller's stop_all, once started=1),
# exit 1. Installed for unexpected errors and signals by fail_on_errors.
started=0
fail() {
  say "$*"
  [ "$started" -eq 1 ] && stop_all
  exit 1
}
fail_on_errors() {
  trap 'fail "unexpected failure (line $LINENO)"' ERR
  trap 'fail "interrupted"' INT TERM HUP
}
