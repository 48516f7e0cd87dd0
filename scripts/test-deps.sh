#!/bin/sh
# npm run test:deps — installs the system programs some tests run for real (Debian/Ubuntu packages):
# a Prometheus server (the prometheus source), a Pushgateway (seqpulse's own metrics), Go (builds
# the Go endpoint example) and Chromium (renders the HTML report). Without them those tests skip
# on a developer machine (and say so); under CI they fail. The list matches test/helpers/system-tools.ts.
set -eu
need=""
command -v prometheus >/dev/null 2>&1 || need="$need prometheus"
command -v prometheus-pushgateway >/dev/null 2>&1 || command -v pushgateway >/dev/null 2>&1 || need="$need prometheus-pushgateway"
command -v go >/dev/null 2>&1 || need="$need golang-go"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need="$need chromium"
if [ -z "$need" ]; then
  echo "test tools: all installed (prometheus, prometheus-pushgateway, go, chromium)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test tools missing:$need. No apt-get here: install them with your package manager, or point PROMETHEUS_BIN, PUSHGATEWAY_PATH, GO_BIN, CHROMIUM_PATH at them." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "test tools missing:$need. Run as root: apt-get update && apt-get install -y --no-install-recommends$need" >&2
    exit 1
  fi
fi
echo "installing:$need"
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
# The tests start their own servers on free ports; the packages' services are not needed.
if command -v systemctl >/dev/null 2>&1; then $sudo systemctl disable --now prometheus prometheus-pushgateway >/dev/null 2>&1 || true; fi
echo "test tools installed:$need"
