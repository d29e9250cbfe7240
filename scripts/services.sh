#!/usr/bin/env bash
# Real services for QiCore's tests, benchmarks and CI, started on loopback without Docker:
#
#   timescale  TimescaleDB (Apache-2 edition, Debian 13's postgresql-17-timescaledb) in a
#              debootstrap'd Debian 13 root, because Debian 12 has no TimescaleDB package.
#   postgres   plain PostgreSQL 15 (the machine's Debian package) in a private cluster.
#   kafka      an Apache Kafka 4.x broker in KRaft mode (one node, broker + controller), built
#              from Maven Central artifacts; Kafka's tools come on the same classpath.
#   kcat       Debian's kcat, a non-JavaScript Kafka client for cross-client checks.
#   chromium   Debian's chromium, the browser the dashboard's tests drive with Playwright
#              (playwright-core downloads no browser of its own). Nothing to start or stop.
#
# Usage: scripts/services.sh up|down|status|env|reset [timescale|postgres|kafka|chromium ...]
#        scripts/services.sh kafka-class <main class> [arguments...]
#        scripts/services.sh scratch timescale|kafka <port> start|stop|kill|pause|resume
#          a throwaway instance of its own (data, ports) that outage tests stop, kill and
#          pause without disturbing the shared services; `up` must have run first.
#
# Everything downloaded, built or stored lives outside the clone, in QICORE_SERVICES_CACHE
# (default /var/cache/qicore when writable, else ~/.cache/qicore), so a second `up` takes
# seconds. Started processes outlive this script; their pid files are in <cache>/run.
set -Eeuo pipefail
umask 022

# Runs a command that may leave a server behind with no descriptor of ours but 0, 1 and 2.
# A server started from here would otherwise keep every descriptor its caller had open for as
# long as it runs: a lock file (still "held" after the caller exits) or a CI log pipe (the CI
# job waits for its end and hangs).
without_inherited_fds() {
  local fd
  for fd in /proc/self/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then
      eval "exec $fd>&-" 2>/dev/null || true
    fi
  done
  exec "$@"
}

# `services.sh detached COMMAND ...` is how this script starts servers (see above).
if [ "${1:-}" = detached ]; then
  shift
  without_inherited_fds "$@"
fi

# What the script is doing now, for the error report below ("up kafka", "kafka: start ...").
CURRENT_STEP="starting"
# No command may end this script silently: whatever fails outside a logged step (a missing
# folder, an unset variable, a failed pipeline) is reported with the step, the line and the
# command. Steps with a log of their own report themselves in run_step.
on_error() {
  local status=$? line="$1" command="$2"
  trap - ERR
  printf 'services.sh: "%s" failed (exit %s) at scripts/services.sh line %s: %s\n' \
    "$CURRENT_STEP" "$status" "$line" "$command" >&2
  [ -n "${LOG_DIR:-}" ] && printf 'services.sh: the logs of the steps so far are in %s\n' "$LOG_DIR" >&2
  exit "$status"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_PATH="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"
readonly ASSETS_DIR="$SCRIPT_DIR/services"
readonly ALL_SERVICES=(timescale postgres kafka)
# Installed by `up` like the services, but nothing runs: no port, pid or data.
readonly ALL_TOOLS=(chromium)

TIMESCALE_PORT="${QICORE_TIMESCALE_PORT:-5433}"
POSTGRES_PORT="${QICORE_POSTGRES_PORT:-5434}"
KAFKA_PORT="${QICORE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${QICORE_KAFKA_CONTROLLER_PORT:-9093}"
# A second listener that requires SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), for the adapters'
# authentication tests. Its user exists only on this local test broker.
KAFKA_SASL_PORT="${QICORE_KAFKA_SASL_PORT:-9094}"
readonly KAFKA_SASL_USER=qicore
readonly KAFKA_SASL_PASSWORD=qicore-local-test
KAFKA_HEAP_OPTS="${QICORE_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
DEBIAN_MIRROR="${QICORE_DEBIAN_MIRROR:-}"
readonly HOST=127.0.0.1

default_cache_dir() {
  if [ -n "${QICORE_SERVICES_CACHE:-}" ]; then
    printf '%s\n' "$QICORE_SERVICES_CACHE"
  elif mkdir -p /var/cache/qicore 2>/dev/null && [ -w /var/cache/qicore ]; then
    printf '%s\n' /var/cache/qicore
  else
    printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/qicore"
  fi
}

CACHE_DIR="$(default_cache_dir)"
readonly CACHE_DIR
readonly LOG_DIR="$CACHE_DIR/logs"
readonly RUN_DIR="$CACHE_DIR/run"
readonly TIMESCALE_ROOT="$CACHE_DIR/timescale/root"
# Paths inside the Debian 13 root (the chroot sees them from its own /).
readonly TIMESCALE_HOME_IN_ROOT=/var/lib/qicore/timescale
readonly TIMESCALE_DATA_IN_ROOT="$TIMESCALE_HOME_IN_ROOT/data"
readonly TIMESCALE_BIN_IN_ROOT=/usr/lib/postgresql/17/bin
readonly POSTGRES_BIN=/usr/lib/postgresql/15/bin
readonly POSTGRES_DATA="$CACHE_DIR/postgres/data"
readonly KAFKA_DIR="$CACHE_DIR/kafka"
readonly KAFKA_LIB="$KAFKA_DIR/lib"
readonly KAFKA_DATA="$KAFKA_DIR/data"
readonly KAFKA_CONFIG="$KAFKA_DIR/server.properties"
readonly MAVEN_REPOSITORY="$CACHE_DIR/maven-repository"

say() { printf '[services] %s\n' "$*" >&2; }

fail() {
  printf 'services.sh: %s\n' "$*" >&2
  exit 1
}

# Runs one installation or start step with its output in a log file; on failure names the step,
# shows the end of its log and where the whole log is.
run_step() {
  local name="$1" log="$2"
  shift 2
  mkdir -p "$(dirname "$log")"
  local started=$SECONDS
  say "$name ..."
  # A subshell with errexit of its own: in an `if` condition or `||` list bash would ignore
  # errexit inside the step's functions (subshells included), and a failed command in the
  # middle of a step would go unnoticed.
  local status previous_step="$CURRENT_STEP"
  CURRENT_STEP="$name"
  # The step reports its own failure below, so the ERR trap stays out of its way.
  trap - ERR
  set +e
  (
    set -e
    "$@"
  ) >"$log" 2>&1 </dev/null 9>&-
  status=$?
  set -e
  trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR
  CURRENT_STEP="$previous_step"
  if [ "$status" -ne 0 ]; then
    printf 'services.sh: step "%s" failed (exit %s). Last lines of its log (%s):\n' "$name" "$status" "$log" >&2
    tail -n 25 "$log" | sed 's/^/    /' >&2
    exit 1
  fi
  say "$name: done in $((SECONDS - started)) s"
}

is_root() { [ "$(id -u)" = 0 ]; }


require_root() {
  is_root || fail "$1 needs root (debootstrap, chroot, apt-get): run as root, or use docker-compose.yml and set the QICORE_TEST_* endpoints yourself."
}

apt_install() {
  require_root "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "$@" || { apt-get update && apt-get install -y --no-install-recommends "$@"; }
}

port_open() { timeout 1 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

wait_for_port() {
  local port="$1" seconds="$2" pid="${3:-}"
  local deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    port_open "$port" && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.3
  done
  return 1
}

# The pid of a service this script started, when that process still runs.
service_pid() {
  local file="$RUN_DIR/$1.pid" pid
  [ -f "$file" ] || return 1
  pid="$(head -n 1 "$file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

service_port() {
  case "$1" in
    timescale) echo "$TIMESCALE_PORT" ;;
    postgres) echo "$POSTGRES_PORT" ;;
    kafka) echo "$KAFKA_PORT" ;;
  esac
}

port_variable() {
  case "$1" in
    timescale) echo QICORE_TIMESCALE_PORT ;;
    postgres) echo QICORE_POSTGRES_PORT ;;
    kafka) echo QICORE_KAFKA_PORT ;;
  esac
}

# True when our process for the service runs and answers on its port.
service_running() {
  service_pid "$1" >/dev/null && port_open "$(service_port "$1")"
}

# Fails when something that is not ours already listens on the service's port.
check_port_free() {
  local name="$1" port
  port="$(service_port "$name")"
  if port_open "$port"; then
    fail "$name: port $HOST:$port is already in use by a process services.sh did not start (see: ss -ltnp 'sport = :$port'). Stop it, or choose another port with $(port_variable "$name")=<port>."
  fi
}

# ---------------------------------------------------------------------------------------------
# TimescaleDB (Apache-2 edition) in a Debian 13 root

in_timescale_root() {
  chroot "$TIMESCALE_ROOT" /bin/su postgres -s /bin/sh -c "$1"
}

build_timescale_root() {
  local partial="$TIMESCALE_ROOT.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  # shellcheck disable=SC2086 # an empty mirror means debootstrap's default one
  debootstrap --variant=minbase --include=postgresql-17,postgresql-17-timescaledb trixie "$partial" $DEBIAN_MIRROR
  test -x "$partial$TIMESCALE_BIN_IN_ROOT/postgres"
  ls "$partial"/usr/lib/postgresql/17/lib/timescaledb*.so
  # The packages stay installed; their downloaded archives are not needed again.
  rm -f "$partial"/var/cache/apt/archives/*.deb
  rm -rf "$TIMESCALE_ROOT"
  mv "$partial" "$TIMESCALE_ROOT"
}

init_timescale_data() {
  chroot "$TIMESCALE_ROOT" /bin/sh -c "mkdir -p $TIMESCALE_HOME_IN_ROOT && chown -R postgres:postgres $TIMESCALE_HOME_IN_ROOT"
  in_timescale_root "$TIMESCALE_BIN_IN_ROOT/initdb -D $TIMESCALE_DATA_IN_ROOT -A trust -U postgres -E UTF8 --locale=C.UTF-8"
}

start_timescale() {
  local options="-p $TIMESCALE_PORT -c listen_addresses=$HOST -c unix_socket_directories=/tmp"
  options+=" -c shared_preload_libraries=timescaledb -c timescaledb.telemetry_level=off -c max_connections=200"
  local start_command="$TIMESCALE_BIN_IN_ROOT/pg_ctl -D $TIMESCALE_DATA_IN_ROOT -w -t 120 -l $TIMESCALE_HOME_IN_ROOT/server.log -o '$options' start"
  # After a killed server, its last children can hold the data directory for a moment: retry once.
  local start=(setsid --wait bash "$SCRIPT_PATH" detached chroot "$TIMESCALE_ROOT" /bin/su postgres -s /bin/sh -c "$start_command")
  "${start[@]}" || { sleep 3 && "${start[@]}"; }
  head -n 1 "$TIMESCALE_ROOT$TIMESCALE_DATA_IN_ROOT/postmaster.pid" >"$RUN_DIR/timescale.pid"
  # Like the timescale/timescaledb image: the extension is ready in the default database and in
  # every database created later.
  for database in template1 postgres; do
    in_timescale_root "$TIMESCALE_BIN_IN_ROOT/psql -h $HOST -p $TIMESCALE_PORT -U postgres -d $database -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION IF NOT EXISTS timescaledb'"
  done
}

up_timescale() {
  if service_running timescale; then
    say "timescale: already running (pid $(service_pid timescale)) on $HOST:$TIMESCALE_PORT"
    return
  fi
  require_root "TimescaleDB"
  check_port_free timescale
  if [ ! -x "$TIMESCALE_ROOT$TIMESCALE_BIN_IN_ROOT/postgres" ]; then
    command -v debootstrap >/dev/null || run_step "timescale: install debootstrap" "$LOG_DIR/apt-debootstrap.log" apt_install debootstrap
    run_step "timescale: build a Debian 13 root with postgresql-17-timescaledb (about a minute)" \
      "$LOG_DIR/timescale-debootstrap.log" build_timescale_root
  fi
  if [ ! -f "$TIMESCALE_ROOT$TIMESCALE_DATA_IN_ROOT/PG_VERSION" ]; then
    run_step "timescale: initdb" "$LOG_DIR/timescale-initdb.log" init_timescale_data
  fi
  # A server that crashed leaves its pid file behind; pg_ctl handles that itself.
  run_step "timescale: start on $HOST:$TIMESCALE_PORT (server log: $TIMESCALE_ROOT$TIMESCALE_HOME_IN_ROOT/server.log)" \
    "$LOG_DIR/timescale-start.log" start_timescale
}

down_timescale() {
  local pid
  if ! pid="$(service_pid timescale)"; then
    say "timescale: not running"
    rm -f "$RUN_DIR/timescale.pid"
    return
  fi
  in_timescale_root "$TIMESCALE_BIN_IN_ROOT/pg_ctl -D $TIMESCALE_DATA_IN_ROOT -m fast -w -t 60 stop" >/dev/null 2>&1 ||
    stop_process "$pid"
  rm -f "$RUN_DIR/timescale.pid"
  say "timescale: stopped"
}

# ---------------------------------------------------------------------------------------------
# Plain PostgreSQL 15 from the machine's Debian package, in a private cluster

# As root the cluster belongs to the `postgres` user (PostgreSQL refuses to run as root);
# otherwise to whoever runs this script.
as_postgres_user() {
  if is_root; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

init_postgres_data() {
  if is_root && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
  fi
  mkdir -p "$POSTGRES_DATA"
  # The server writes its log next to its data directory.
  if is_root; then
    chown postgres: "$CACHE_DIR/postgres" "$POSTGRES_DATA"
    # A cache folder made with mktemp -d (mode 700) would hide the data from the server.
    runuser -u postgres -- test -w "$POSTGRES_DATA" ||
      { echo "the user postgres cannot reach $POSTGRES_DATA: make the folders above it searchable (chmod a+x)"; return 1; }
  fi
  chmod 700 "$POSTGRES_DATA"
  as_postgres_user "$POSTGRES_BIN/initdb" -D "$POSTGRES_DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8
}

start_postgres() {
  # No Unix socket: clients use TCP, and a cache path can be longer than a socket path may be.
  local command=("$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA" -w -t 120 -l "$CACHE_DIR/postgres/server.log"
    -o "-p $POSTGRES_PORT -c listen_addresses=$HOST -c unix_socket_directories='' -c max_connections=200" start)
  if is_root; then command=(runuser -u postgres -- "${command[@]}"); fi
  # A session of its own, so the server outlives this script and whoever called it. After a
  # killed server, its last children can hold the data directory for a moment: retry once.
  command=(setsid --wait bash "$SCRIPT_PATH" detached "${command[@]}")
  "${command[@]}" || { sleep 3 && "${command[@]}"; }
  head -n 1 "$POSTGRES_DATA/postmaster.pid" >"$RUN_DIR/postgres.pid"
}

up_postgres() {
  if service_running postgres; then
    say "postgres: already running (pid $(service_pid postgres)) on $HOST:$POSTGRES_PORT"
    return
  fi
  check_port_free postgres
  if [ ! -x "$POSTGRES_BIN/initdb" ]; then
    run_step "postgres: install postgresql-15" "$LOG_DIR/apt-postgresql.log" apt_install postgresql-15
  fi
  if [ ! -f "$POSTGRES_DATA/PG_VERSION" ]; then
    run_step "postgres: initdb" "$LOG_DIR/postgres-initdb.log" init_postgres_data
  fi
  run_step "postgres: start on $HOST:$POSTGRES_PORT (server log: $CACHE_DIR/postgres/server.log)" \
    "$LOG_DIR/postgres-start.log" start_postgres
}

down_postgres() {
  local pid
  if ! pid="$(service_pid postgres)"; then
    say "postgres: not running"
    rm -f "$RUN_DIR/postgres.pid"
    return
  fi
  as_postgres_user "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || stop_process "$pid"
  rm -f "$RUN_DIR/postgres.pid"
  say "postgres: stopped"
}

# ---------------------------------------------------------------------------------------------
# Apache Kafka 4.x broker (KRaft, one node) from Maven Central

# The java command line for a class on the Kafka classpath, logging at the given level.
kafka_java_command() {
  local level="$1" heap
  read -r -a heap <<<"$KAFKA_HEAP_OPTS"
  JAVA_COMMAND=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.properties" -Dqicore.kafka.log.level="$level"
    -cp "$KAFKA_LIB/*")
}

kafka_java() {
  kafka_java_command "$1"
  shift
  "${JAVA_COMMAND[@]}" "$@"
}

fetch_kafka() {
  local build="$KAFKA_DIR/build"
  rm -rf "$build" "$KAFKA_LIB.partial"
  mkdir -p "$build"
  cp "$ASSETS_DIR/kafka-pom.xml" "$build/pom.xml"
  mvn -B --no-transfer-progress -f "$build/pom.xml" -Dmaven.repo.local="$MAVEN_REPOSITORY" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB.partial"
  ls "$KAFKA_LIB.partial"/kafka_2.13-*.jar "$KAFKA_LIB.partial"/kafka-tools-*.jar
  rm -rf "$KAFKA_LIB"
  mv "$KAFKA_LIB.partial" "$KAFKA_LIB"
  sha256sum "$ASSETS_DIR/kafka-pom.xml" | cut -d' ' -f1 >"$KAFKA_DIR/lib.pom-sha256"
}

write_kafka_config() {
  cat <<EOF
# Written by scripts/services.sh: one node that is both broker and controller (KRaft).
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT,SASL_PLAINTEXT://$HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$KAFKA_DATA
num.partitions=3
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
EOF
}

format_kafka_storage() {
  rm -rf "$KAFKA_DATA"
  mkdir -p "$KAFKA_DATA"
  local cluster_id
  cluster_id="$(kafka_java warn kafka.tools.StorageTool random-uuid | tail -n 1)"
  # SCRAM users live in the cluster metadata; KRaft takes the first ones at format time.
  kafka_java warn kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONFIG" \
    --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]" \
    --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$KAFKA_SASL_PASSWORD]"
  cp "$KAFKA_CONFIG" "$KAFKA_DIR/server.properties.formatted"
}

start_kafka() {
  # The subshell writes its own pid before it becomes the JVM, so the pid file names the broker.
  kafka_java_command info
  rm -f "$RUN_DIR/kafka.pid"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' kafka-start "$RUN_DIR/kafka.pid" \
    bash "$SCRIPT_PATH" detached "${JAVA_COMMAND[@]}" kafka.Kafka "$KAFKA_CONFIG" >"$KAFKA_DIR/server.log" 2>&1 </dev/null &
  local deadline=$((SECONDS + 90)) pid=""
  while [ -z "$pid" ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
    pid="$(head -n 1 "$RUN_DIR/kafka.pid" 2>/dev/null || true)"
  done
  while [ "$SECONDS" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "the broker exited; see $KAFKA_DIR/server.log"; tail -n 40 "$KAFKA_DIR/server.log"; return 1; }
    # Ready when it answers a metadata request, not merely when the port is open.
    if port_open "$KAFKA_PORT" && kcat -L -b "$HOST:$KAFKA_PORT" -m 5 >/dev/null 2>&1; then
      echo "broker ready (pid $pid)"
      return 0
    fi
    sleep 0.5
  done
  echo "the broker did not answer within 90 s; see $KAFKA_DIR/server.log"
  return 1
}

up_kafka() {
  if service_running kafka; then
    say "kafka: already running (pid $(service_pid kafka)) on $HOST:$KAFKA_PORT"
    return
  fi
  check_port_free kafka
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    fail "kafka: controller port $HOST:$KAFKA_CONTROLLER_PORT is in use; choose another with QICORE_KAFKA_CONTROLLER_PORT=<port>."
  fi
  if port_open "$KAFKA_SASL_PORT"; then
    fail "kafka: SASL port $HOST:$KAFKA_SASL_PORT is in use; choose another with QICORE_KAFKA_SASL_PORT=<port>."
  fi
  command -v java >/dev/null || run_step "kafka: install Java" "$LOG_DIR/apt-java.log" apt_install default-jre-headless
  command -v mvn >/dev/null || run_step "kafka: install Maven" "$LOG_DIR/apt-maven.log" apt_install maven
  command -v kcat >/dev/null || run_step "kafka: install kcat" "$LOG_DIR/apt-kcat.log" apt_install kcat
  local pom_sha fetched_sha=""
  pom_sha="$(sha256sum "$ASSETS_DIR/kafka-pom.xml" | cut -d' ' -f1)"
  if [ -f "$KAFKA_DIR/lib.pom-sha256" ]; then fetched_sha="$(cat "$KAFKA_DIR/lib.pom-sha256")"; fi
  if [ "$fetched_sha" != "$pom_sha" ] || [ ! -d "$KAFKA_LIB" ]; then
    run_step "kafka: fetch the broker and tools from Maven Central" "$LOG_DIR/kafka-fetch.log" fetch_kafka
  fi
  mkdir -p "$KAFKA_DIR"
  # The broker outlives this clone, so what it reads is copied next to it.
  cp "$ASSETS_DIR/kafka-log4j2.properties" "$KAFKA_DIR/log4j2.properties"
  write_kafka_config >"$KAFKA_CONFIG"
  # Tests create topics with unique names and the data is kept between runs; past a few
  # thousand partitions the broker starts slowly, so the storage then starts afresh. On a first
  # run there is no data folder yet: nothing to count.
  local partitions=0
  if [ -d "$KAFKA_DATA" ]; then
    partitions="$(find "$KAFKA_DATA" -mindepth 1 -maxdepth 1 -type d -name '*-[0-9]*' | wc -l)"
  fi
  if [ "$partitions" -gt "${QICORE_KAFKA_MAX_PARTITIONS:-3000}" ]; then
    say "kafka: $partitions partitions kept from earlier runs; formatting the storage afresh"
    rm -f "$KAFKA_DATA/meta.properties"
  fi
  # Storage is formatted for one configuration (ports, node id); a changed one starts afresh.
  if [ ! -f "$KAFKA_DATA/meta.properties" ] || ! cmp -s "$KAFKA_CONFIG" "$KAFKA_DIR/server.properties.formatted"; then
    run_step "kafka: format KRaft storage" "$LOG_DIR/kafka-format.log" format_kafka_storage
  fi
  run_step "kafka: start the broker on $HOST:$KAFKA_PORT (server log: $KAFKA_DIR/server.log)" \
    "$LOG_DIR/kafka-start.log" start_kafka
}

down_kafka() {
  local pid
  if ! pid="$(service_pid kafka)"; then
    say "kafka: not running"
    rm -f "$RUN_DIR/kafka.pid"
    return
  fi
  stop_process "$pid"
  rm -f "$RUN_DIR/kafka.pid"
  say "kafka: stopped"
}

# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------- chromium

# The dashboard's browser tests launch /usr/bin/chromium through playwright-core. The fonts
# give its screenshots legible text on a machine that has none.
up_chromium() {
  command -v chromium >/dev/null ||
    run_step "chromium: install Debian's chromium (the dashboard's browser tests)" \
      "$LOG_DIR/apt-chromium.log" apt_install chromium fonts-dejavu-core
  say "chromium: $(chromium --version 2>/dev/null || command -v chromium)"
}

# Nothing runs: the tests start and stop their own browser.
down_chromium() { :; }

stop_process() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
}

selected_services() {
  if [ "$#" -eq 0 ]; then
    printf '%s\n' "${ALL_SERVICES[@]}" "${ALL_TOOLS[@]}"
    return
  fi
  local name
  for name in "$@"; do
    case "$name" in
      timescale | postgres | kafka | chromium) printf '%s\n' "$name" ;;
      *) fail "unknown service '$name' (known: ${ALL_SERVICES[*]} ${ALL_TOOLS[*]})" ;;
    esac
  done
}

with_lock() {
  mkdir -p "$CACHE_DIR" "$LOG_DIR" "$RUN_DIR"
  exec 9>"$CACHE_DIR/services.lock"
  if ! flock -n 9; then
    say "waiting for another services.sh to finish (lock $CACHE_DIR/services.lock) ..."
    flock -w 900 9 || fail "another services.sh held $CACHE_DIR/services.lock for 15 minutes"
  fi
}

command_up() {
  with_lock
  local started=$SECONDS name names
  names="$(selected_services "$@")" || exit 1
  say "cache: $CACHE_DIR"
  for name in $names; do
    CURRENT_STEP="up $name"
    "up_$name"
  done
  CURRENT_STEP="up"
  say "all up in $((SECONDS - started)) s; endpoints: bash scripts/services.sh env"
}

command_down() {
  with_lock
  local name names
  names="$(selected_services "$@")" || exit 1
  for name in $names; do
    CURRENT_STEP="down $name"
    "down_$name"
  done
}

command_reset() {
  command_down "$@"
  local name names
  names="$(selected_services "$@")" || exit 1
  for name in $names; do
    case "$name" in
      timescale) rm -rf "$TIMESCALE_ROOT$TIMESCALE_HOME_IN_ROOT" ;;
      postgres) rm -rf "$POSTGRES_DATA" ;;
      kafka) rm -rf "$KAFKA_DATA" ;;
      chromium) continue ;;
    esac
    say "$name: data removed (downloads kept)"
  done
}

command_status() {
  local name all_running=0
  for name in "${ALL_SERVICES[@]}"; do
    if service_running "$name"; then
      printf '%-10s running  pid %s  %s:%s\n' "$name" "$(service_pid "$name")" "$HOST" "$(service_port "$name")"
    else
      printf '%-10s stopped\n' "$name"
      all_running=3
    fi
  done
  printf '%-10s %s\n' kcat "$(command -v kcat || echo 'not installed')"
  printf '%-10s %s\n' chromium "$(command -v chromium || echo 'not installed')"
  printf 'cache      %s\n' "$CACHE_DIR"
  return "$all_running"
}

command_env() {
  cat <<EOF
export QICORE_TEST_TIMESCALE_URL='postgres://postgres@$HOST:$TIMESCALE_PORT/postgres'
export QICORE_TEST_POSTGRES_URL='postgres://postgres@$HOST:$POSTGRES_PORT/postgres'
export QICORE_TEST_KAFKA_BROKERS='$HOST:$KAFKA_PORT'
export QICORE_TEST_KAFKA_SASL_BROKERS='$HOST:$KAFKA_SASL_PORT'
export QICORE_TEST_KAFKA_SASL_USERNAME='$KAFKA_SASL_USER'
export QICORE_TEST_KAFKA_SASL_PASSWORD='$KAFKA_SASL_PASSWORD'
# Debian's TimescaleDB build is the Apache-2 edition (no compression, policies, continuous aggregates).
export QICORE_TEST_TIMESCALE_LICENSE='apache'
export QICORE_KAFKA_CLASSPATH='$KAFKA_LIB/*'
export QICORE_SERVICES_CACHE='$CACHE_DIR'
EOF
}

# ---------------------------------------------------------------------------------------------
# Scratch instances for outage tests: the same binaries, data and ports of their own.

scratch_timescale() {
  local port="$1" action="$2"
  local home="/var/lib/qicore/scratch-$port"
  local data="$home/data"
  [ -x "$TIMESCALE_ROOT$TIMESCALE_BIN_IN_ROOT/postgres" ] || fail "scratch timescale: run scripts/services.sh up timescale first"
  local ctl="$TIMESCALE_BIN_IN_ROOT/pg_ctl -D $data"
  case "$action" in
    start)
      if in_timescale_root "$ctl status" >/dev/null 2>&1; then return 0; fi
      if [ ! -f "$TIMESCALE_ROOT$data/PG_VERSION" ]; then
        chroot "$TIMESCALE_ROOT" /bin/sh -c "mkdir -p $home && chown -R postgres:postgres $home"
        in_timescale_root "$TIMESCALE_BIN_IN_ROOT/initdb -D $data -A trust -U postgres -E UTF8 --locale=C.UTF-8" >/dev/null
      fi
      local options="-p $port -c listen_addresses=$HOST -c unix_socket_directories=/tmp -c shared_preload_libraries=timescaledb -c timescaledb.telemetry_level=off"
      setsid --wait bash "$SCRIPT_PATH" detached chroot "$TIMESCALE_ROOT" /bin/su postgres -s /bin/sh -c \
        "$ctl -w -t 60 -l $home/server.log -o '$options' start" >/dev/null
      in_timescale_root "$TIMESCALE_BIN_IN_ROOT/psql -h $HOST -p $port -U postgres -d postgres -v ON_ERROR_STOP=1 -qc 'CREATE EXTENSION IF NOT EXISTS timescaledb'" >/dev/null
      ;;
    stop) in_timescale_root "$ctl -m fast -w -t 60 stop" >/dev/null ;;
    kill) in_timescale_root "$ctl -m immediate -w -t 60 stop" >/dev/null ;;
    pause | resume)
      # Every process of the cluster: the postmaster and the backends serving connections.
      local pid signal=STOP
      [ "$action" = resume ] && signal=CONT
      pid="$(head -n 1 "$TIMESCALE_ROOT$data/postmaster.pid")"
      # shellcheck disable=SC2046 # one pid a word
      kill "-$signal" "$pid" $(pgrep -P "$pid" || true)
      ;;
    *) fail "scratch timescale: unknown action '$action' (start|stop|kill|pause|resume)" ;;
  esac
}

scratch_kafka() {
  local port="$1" action="$2"
  local dir="$CACHE_DIR/scratch-kafka-$port"
  local config="$dir/server.properties" pid_file="$dir/kafka.pid"
  [ -f "$KAFKA_DIR/lib.pom-sha256" ] || fail "scratch kafka: run scripts/services.sh up kafka first"
  case "$action" in
    start)
      mkdir -p "$dir/data"
      scratch_kafka_config "$port" "$((port + 1))" "$dir/data" >"$config"
      if [ ! -f "$dir/data/meta.properties" ]; then
        local cluster_id
        cluster_id="$(kafka_java warn kafka.tools.StorageTool random-uuid | tail -n 1)"
        kafka_java warn kafka.tools.StorageTool format -t "$cluster_id" -c "$config" >/dev/null
      fi
      kafka_java_command info
      setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' scratch-kafka "$pid_file" \
        bash "$SCRIPT_PATH" detached "${JAVA_COMMAND[@]}" kafka.Kafka "$config" >"$dir/server.log" 2>&1 </dev/null &
      local deadline=$((SECONDS + 90))
      while [ "$SECONDS" -lt "$deadline" ]; do
        if port_open "$port" && kcat -L -b "$HOST:$port" -m 5 >/dev/null 2>&1; then return 0; fi
        sleep 0.3
      done
      fail "scratch kafka on $port did not answer within 90 s; see $dir/server.log"
      ;;
    stop | kill)
      local pid=""
      [ -f "$pid_file" ] && pid="$(head -n 1 "$pid_file")"
      [ -n "$pid" ] || return 0
      if [ "$action" = kill ]; then kill -KILL "$pid" 2>/dev/null || true; else stop_process "$pid"; fi
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      rm -f "$pid_file"
      ;;
    pause | resume)
      local signal=STOP
      [ "$action" = resume ] && signal=CONT
      kill "-$signal" "$(head -n 1 "$pid_file")"
      ;;
    *) fail "scratch kafka: unknown action '$action' (start|stop|kill|pause|resume)" ;;
  esac
}

# One node, plaintext only (port, controller port, data folder); restarts keep the data.
scratch_kafka_config() {
  cat <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$2
listeners=PLAINTEXT://$HOST:$1,CONTROLLER://$HOST:$2
advertised.listeners=PLAINTEXT://$HOST:$1
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$3
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
}

command_scratch() {
  [ "$#" -eq 3 ] || fail "usage: services.sh scratch timescale|kafka <port> start|stop|kill|pause|resume"
  local service="$1" port="$2" action="$3"
  [[ "$port" =~ ^[0-9]+$ ]] || fail "scratch: the port must be a number, got '$port'"
  case "$service" in
    timescale)
      require_root "scratch timescale"
      scratch_timescale "$port" "$action"
      ;;
    kafka) scratch_kafka "$port" "$action" ;;
    *) fail "scratch: unknown service '$service' (timescale|kafka)" ;;
  esac
}

command_kafka_class() {
  [ "$#" -ge 1 ] || fail "usage: services.sh kafka-class <main class> [arguments...]"
  [ -f "$KAFKA_DIR/lib.pom-sha256" ] || fail "the Kafka classpath is not fetched yet: run scripts/services.sh up kafka"
  kafka_java_command warn
  exec "${JAVA_COMMAND[@]}" "$@"
}

usage() {
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local command="${1:-}"
  [ "$#" -gt 0 ] && shift
  CURRENT_STEP="$command${*:+ $*}"
  case "$command" in
    up) command_up "$@" ;;
    down) command_down "$@" ;;
    reset) command_reset "$@" ;;
    status) command_status ;;
    env) command_env ;;
    kafka-class) command_kafka_class "$@" ;;
    scratch) command_scratch "$@" ;;
    -h | --help | help) usage ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
