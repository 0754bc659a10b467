#!/usr/bin/env bash
# The local stack without Docker: Apache Kafka (single-node KRaft, Apache's jars from Maven
# Central), the nids schema registry (`nids registry`, its state in Kafka's `_schemas` topic)
# and Redis (Debian's redis-server), all on 127.0.0.1. `up` is idempotent, `down` stops
# exactly the PIDs `up` started, `status` exits non-zero when something is down.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
KAFKA_VERSION=4.1.1
STACK_DIR="${NIDS_STACK_DIR:-$REPO/.stack}"
KAFKA_PORT="${NIDS_KAFKA_PORT:-19092}"
CONTROLLER_PORT="${NIDS_KAFKA_CONTROLLER_PORT:-19093}"
REGISTRY_PORT="${NIDS_REGISTRY_PORT:-18081}"
REDIS_PORT="${NIDS_REDIS_PORT:-16379}"
KAFKA_LIBS="$REPO/.cache/kafka-$KAFKA_VERSION/libs"
PIDS="$STACK_DIR/pids"
LOGS="$STACK_DIR/logs"

usage() {
  cat <<USAGE
Usage: scripts/stack.sh up|down|status|--help

  up      start Kafka, the schema registry and Redis on 127.0.0.1, wait until
          healthy, create the topics; a no-op for what already runs
  down    stop exactly what 'up' started (by PID) and wait until the ports are closed
  status  show each component; exit 1 if one is not running

Environment (defaults): NIDS_STACK_DIR ($REPO/.stack), NIDS_KAFKA_PORT (19092),
NIDS_KAFKA_CONTROLLER_PORT (19093), NIDS_REGISTRY_PORT (18081), NIDS_REDIS_PORT (16379).
Endpoints are printed and written to \$NIDS_STACK_DIR/env.
Install the pieces first with: bash scripts/install.sh
USAGE
}

say() { printf '[stack] %s\n' "$*"; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

alive() { [ -f "$PIDS/$1.pid" ] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_until() { # name timeout-s log command...
  local name=$1 timeout=$2 log=$3; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || die "$name exited during start-up; see $log"
    [ "$(date +%s)" -lt "$deadline" ] || die "$name not healthy after ${timeout}s; see $log"
    sleep 0.5
  done
}

STARTED=() # what this `up` started: stopped again if a later step fails
start_bg() { # name log command...
  local name=$1 log=$2; shift 2
  nohup "$@" >"$log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
  STARTED+=("$name")
}

kafka_healthy() { node --import tsx "$REPO/scripts/create-topics.ts" --check >/dev/null; }

up_kafka() {
  if alive kafka; then say "kafka already running (pid $(cat "$PIDS/kafka.pid"))"; return; fi
  [ -d "$KAFKA_LIBS" ] || die "Kafka jars missing in $KAFKA_LIBS: run bash scripts/install.sh"
  port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by another process: set NIDS_KAFKA_PORT"
  local dir="$STACK_DIR/kafka"
  mkdir -p "$dir/data"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  local java=(java -Xms256m -Xmx512m -XX:+UseG1GC -Dlog4j2.configurationFile="$REPO/scripts/kafka/log4j2.properties" -cp "$KAFKA_LIBS/*")
  if [ ! -f "$dir/data/meta.properties" ]; then
    say "formatting Kafka storage in $dir/data"
    "${java[@]}" kafka.tools.StorageTool format -t "$("${java[@]}" kafka.tools.StorageTool random-uuid)" -c "$dir/server.properties" >"$LOGS/kafka-format.log" 2>&1 \
      || die "formatting Kafka storage failed; see $LOGS/kafka-format.log"
  fi
  say "starting kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  start_bg kafka "$LOGS/kafka.log" "${java[@]}" kafka.Kafka "$dir/server.properties"
  wait_until kafka 90 "$LOGS/kafka.log" kafka_healthy
}

up_registry() {
  if alive registry; then say "registry already running (pid $(cat "$PIDS/registry.pid"))"; return; fi
  port_open "$REGISTRY_PORT" && die "port $REGISTRY_PORT is taken by another process: set NIDS_REGISTRY_PORT"
  say "starting the nids schema registry on 127.0.0.1:$REGISTRY_PORT"
  start_bg registry "$LOGS/registry.log" node "$REPO/bin/nids" registry --host 127.0.0.1 --port "$REGISTRY_PORT" \
    --brokers "127.0.0.1:$KAFKA_PORT" --metrics-port 0
  wait_until registry 60 "$LOGS/registry.log" curl -fsS "http://127.0.0.1:$REGISTRY_PORT/"
}

up_redis() {
  if alive redis; then say "redis already running (pid $(cat "$PIDS/redis.pid"))"; return; fi
  command -v redis-server >/dev/null || die "redis-server not installed: run bash scripts/install.sh"
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by another process: set NIDS_REDIS_PORT"
  mkdir -p "$STACK_DIR/redis"
  say "starting redis on 127.0.0.1:$REDIS_PORT"
  start_bg redis "$LOGS/redis.log" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$STACK_DIR/redis" --save "" --appendonly no --daemonize no
  wait_until redis 20 "$LOGS/redis.log" redis-cli -p "$REDIS_PORT" ping
}

write_env() {
  {
    echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    echo "SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT"
    echo "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  } >"$STACK_DIR/env"
}

cmd_up() {
  mkdir -p "$PIDS" "$LOGS"
  local t0; t0=$(date +%s)
  # A failed start-up leaves nothing of its own running (what ran before it stays).
  trap 'if [ "${#STARTED[@]}" -gt 0 ]; then say "start-up failed: stopping ${STARTED[*]}"; stop_started; fi' EXIT
  export KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
  up_redis
  up_kafka
  say "creating topics"
  node --import tsx "$REPO/scripts/create-topics.ts" || die "topic creation failed"
  up_registry
  write_env
  STARTED=()
  say "ready in $(( $(date +%s) - t0 ))s:"
  sed 's/^/  /' "$STACK_DIR/env"
}

stop_started() {
  for name in "${STARTED[@]}"; do
    case $name in
      registry) stop_one registry "$REGISTRY_PORT" ;;
      kafka) stop_one kafka "$KAFKA_PORT" ;;
      redis) stop_one redis "$REDIS_PORT" ;;
    esac
  done
}

stop_one() {
  local name=$1 port=$2
  if alive "$name"; then
    local pid; pid=$(cat "$PIDS/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$(( $(date +%s) + 30 ))
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$(date +%s)" -ge "$deadline" ]; then say "$name did not stop in 30s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.3
    done
    say "stopped $name (pid $pid)"
  fi
  rm -f "$PIDS/$name.pid"
  local deadline=$(( $(date +%s) + 15 ))
  while port_open "$port"; do
    [ "$(date +%s)" -lt "$deadline" ] || die "port $port still open after stopping $name (another process?)"
    sleep 0.3
  done
}

cmd_down() {
  stop_one registry "$REGISTRY_PORT"
  stop_one kafka "$KAFKA_PORT"
  stop_one redis "$REDIS_PORT"
  rm -f "$STACK_DIR/env"
}

cmd_status() {
  local ok=0
  for entry in "kafka:$KAFKA_PORT" "registry:$REGISTRY_PORT" "redis:$REDIS_PORT"; do
    local name=${entry%%:*} port=${entry##*:}
    if alive "$name"; then
      printf '%-9s running  pid %-7s 127.0.0.1:%s\n' "$name" "$(cat "$PIDS/$name.pid")" "$port"
    else
      printf '%-9s stopped\n' "$name"; ok=1
    fi
  done
  return $ok
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
