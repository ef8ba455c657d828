#!/bin/sh
# Make sure an interpreter can build and run corewise: the interpreter
# itself, its C headers, venv support and a C compiler with OpenMP.
# Missing pieces are installed with apt-get when running as root on Debian;
# otherwise the script says exactly what to install.
#   usage: tools/bootstrap.sh python3|pypy3|/path/to/python
#          tools/bootstrap.sh --tool valgrind     (a command from the Debian package of that name)
set -eu
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "$@" >/dev/null
  else
    echo "bootstrap: missing. Install: $*" >&2
    exit 1
  fi
}
if [ "${1:-}" = --tool ]; then
  command -v "$2" >/dev/null 2>&1 || { echo "bootstrap: apt-get install $2"; apt_install "$2"; }
  exit 0
fi
PY=${1:-python3}
case "$(basename "$PY")" in
  pypy*) DEB="pypy3 pypy3-dev pypy3-venv" ;;
  *)     DEB="python3 python3-dev python3-venv" ;;
esac

missing=""
if ! command -v "$PY" >/dev/null 2>&1; then
  missing="interpreter"
elif ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing="venv"
elif ! "$PY" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' >/dev/null 2>&1; then
  missing="headers"
fi
cc_missing=""
command -v "${CC:-cc}" >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || cc_missing=gcc

[ -z "$missing$cc_missing" ] && exit 0

pkgs=""
[ -n "$missing" ] && pkgs="$DEB"
[ -n "$cc_missing" ] && pkgs="$pkgs gcc"
echo "bootstrap: $PY needs ${missing:-nothing}${cc_missing:+ and a C compiler}; apt-get install$pkgs"
apt_install $pkgs
