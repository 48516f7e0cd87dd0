#!/usr/bin/env bash
# A plain shell pipeline gated by seqpulse. Exit codes are SPEC §7.
set -euo pipefail

export SEQPULSE_HMAC_SECRET="${SEQPULSE_HMAC_SECRET:?set the secret shared with the app}"
export SEQPULSE_ENDPOINTS="${SEQPULSE_ENDPOINTS:-http://127.0.0.1:8080/ds-metrics}"

handle() {
  case "$1" in
    0) echo "seqpulse: ok (or attention below --fail-on): carry on" ;;
    1) echo "seqpulse: rollback recommended: roll back now"; exit 1 ;;
    2) echo "seqpulse: usage/config error or rejected signature: nothing was deployed"; exit 2 ;;
    3) echo "seqpulse: no verdict (no POST sample): check the app by hand"; exit 3 ;;
    4) echo "seqpulse: the deploy command itself failed"; exit 4 ;;
    130 | 143) echo "seqpulse: interrupted; the run is stored as interrupted"; exit "$1" ;;
    *) echo "seqpulse: unexpected exit code $1"; exit "$1" ;;
  esac
}

# One command: PRE, deploy, POST, verdict.
code=0
npx seqpulse run --project my-service --env staging --window 5m -- ./deploy.sh || code=$?
handle "$code"

# Or in halves, when something else runs the deploy in between.
id=$(npx seqpulse start --project my-service --env staging --quiet)
deploy_result=success
./deploy.sh || deploy_result=failed
code=0
npx seqpulse finish "$id" --result "$deploy_result" --window 5m || code=$?
handle "$code"
