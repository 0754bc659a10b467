#!/usr/bin/env bash
# Everything `npm test` needs on a fresh Debian 12 machine, idempotent: Debian packages,
# Apache Kafka's jars from Maven Central, and the dev-only Python venv (scikit-learn, the
# reference Isolation Forest, and Confluent's Python client for wire-format checks).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
KAFKA_VERSION=4.1.1
t0=$(date +%s)
step() { printf '[install] %s\n' "$*"; }

# Plots' font and the dashboard test's browser; the real-tools lab (scripts/lab/,
# test/e2e/lab.test.ts) and the capture tests and bench: attack tools, servers, clients, tcpreplay.
packages=(redis-server redis-tools libpcap-dev tcpdump tshark docker-compose iproute2 python3-venv build-essential curl
  fonts-dejavu-core chromium nmap hping3 hydra openssh-server openssh-client dnsmasq-base dnsutils tcpreplay masscan slowhttptest medusa)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

libs="$REPO/.cache/kafka-$KAFKA_VERSION/libs"
if [ ! -f "$libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  step "Kafka $KAFKA_VERSION jars from Maven Central -> $libs"
  mvn -q -B -s "$REPO/scripts/maven-settings.xml" -f "$REPO/scripts/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$libs" -DincludeScope=runtime
fi

if [ ! -x "$REPO/.venv/bin/python" ] || ! "$REPO/.venv/bin/python" -c 'import sklearn, confluent_kafka' 2>/dev/null; then
  step "Python dev venv (.venv) from scripts/requirements-dev.txt"
  python3 -m venv "$REPO/.venv"
  "$REPO/.venv/bin/pip" install -q -r "$REPO/scripts/requirements-dev.txt"
fi

step "done in $(( $(date +%s) - t0 ))s"
