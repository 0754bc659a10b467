#!/usr/bin/env bash
# `npm test`: every check and every test, against a real local stack that this script
# starts (scripts/stack.sh) and always stops again.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "lint"
npx eslint .
step "typecheck"
npx tsc --noEmit -p .
step "docker-compose.yml"
docker-compose -f docker-compose.yml config -q
echo "valid"

# The tests' own stack, beside (not on) the default ports a user's `npm run stack:up` takes;
# the README test runs those default-port commands itself. Any of these may be overridden.
export NIDS_STACK_DIR="${NIDS_STACK_DIR:-$PWD/.stack-test}"
export NIDS_KAFKA_PORT="${NIDS_KAFKA_PORT:-21092}" NIDS_KAFKA_CONTROLLER_PORT="${NIDS_KAFKA_CONTROLLER_PORT:-21093}"
export NIDS_REGISTRY_PORT="${NIDS_REGISTRY_PORT:-21081}" NIDS_REDIS_PORT="${NIDS_REDIS_PORT:-21379}"

step "local stack (Kafka, schema registry, Redis) on $NIDS_KAFKA_PORT, $NIDS_REGISTRY_PORT, $NIDS_REDIS_PORT"
started_stack=0
if ! bash scripts/stack.sh status >/dev/null 2>&1; then
  bash scripts/stack.sh up
  started_stack=1
fi
cleanup() { if [ "$started_stack" = 1 ]; then step "stopping the stack"; bash scripts/stack.sh down; fi; }
trap cleanup EXIT
set -a
# shellcheck disable=SC1091
. "$NIDS_STACK_DIR/env"
set +a

step "tests"
mapfile -t files < <(find test -name '*.test.ts' -not -path '*/fixtures/*' | sort)
node --import tsx --test --test-concurrency=1 --test-timeout=600000 "${files[@]}"
