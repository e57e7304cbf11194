# Sourced by the scripts that need Debian packages (bootstrap.sh, s3-server.sh, pg-server.sh); not run on its own.
#
#   apt_install_missing PACKAGE...   installs those of the packages that are not installed yet (with sudo when not
#                                    root), quietly: one line on stderr through the caller's say() naming what it
#                                    installs, and on failure one line with apt's last message, then returns 1.
#                                    Installs are serialised by a flock on /tmp/rotoscope-apt.lock, as test
#                                    assemblies start servers (and so these installs) in parallel; when nothing is
#                                    missing it takes no lock and returns at once.
#
# The caller defines say() (its own prefix on stderr).

# apt_missing PACKAGE...: prints the packages that dpkg does not have installed, one a line.
apt_missing() {
  local p
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"install ok installed"* ]] || printf '%s\n' "$p"
  done
}

apt_install_missing() (
  # (a subshell: the lock's descriptor and the error handling stay in here, whatever the caller's set -e and traps)
  set +e
  trap - ERR
  missing=$(apt_missing "$@")
  [ -n "$missing" ] || exit 0

  # The lock file is opened for reading (flock works on any descriptor): no O_CREAT on a file another user created
  # in the sticky /tmp, which protected_regular would refuse even to root.
  lock=/tmp/rotoscope-apt.lock
  [ -e "$lock" ] || : 2>/dev/null >>"$lock"
  exec 9<"$lock" || { say "cannot open $lock"; exit 1; }
  flock 9 || { say "cannot lock $lock"; exit 1; }
  missing=$(apt_missing "$@")   # (another install may have brought them in while this one waited)
  [ -n "$missing" ] || exit 0
  mapfile -t missing <<<"$missing"

  say "installing Debian packages: ${missing[*]}"
  sudo=(); [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  # (their output is kept back, and only its last line shown if the install fails: invoke-rc.d and debconf are chatty)
  if ! log=$({ "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}"; } 2>&1); then
    say "could not install the Debian packages ${missing[*]}: $(printf '%s' "$log" | grep -v '^\s*$' | tail -n 1)"
    exit 1
  fi
)
