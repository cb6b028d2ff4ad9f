#!/usr/bin/env bash
# Install what Botify needs on a fresh machine: uv (from PyPI), the pinned Python packages (uv.lock), and the
# Kafka jars (Maven Central). Safe to run again; it only does what is missing. Needs Python 3.11, Java 17+, Maven.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
need() { command -v "$1" >/dev/null 2>&1 || { echo "botify: $2" >&2; exit 1; }; }
need python3.11 "Python 3.11 is required (python3.11 not on PATH)"
need java "Java 17+ is required to run Kafka (java not on PATH)"
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
  echo "botify: Kafka 4 needs Java 17 or newer; \`java -version\` says ${java_major:-nothing}" >&2
  exit 1
fi
# Maven is needed only the first time, to fetch the Kafka jars; ensure_jars says so if it is missing then

USER_UV="$(python3.11 -m site --user-base)/bin/uv"
if ! command -v uv >/dev/null 2>&1 && [ ! -x "$USER_UV" ]; then
  echo "botify: installing uv $UV_VERSION from PyPI" >&2
  python3.11 -m pip install --quiet --user "uv==$UV_VERSION"
fi
UV=$(command -v uv || echo "$USER_UV")

# the machine's own Python: interpreters downloaded from elsewhere are not an option here
"$UV" sync --frozen --python 3.11 --python-preference only-system --quiet
.venv/bin/python -c "from botify_core.local_kafka import ensure_jars; ensure_jars()"

# the dashboard's browser test (tests/integration/test_dashboard.py) needs headless Chromium; on CI it must run
if [ "${CI:-}" = "true" ] && ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "botify: installing Debian's chromium for the dashboard's browser test (CI=true)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
