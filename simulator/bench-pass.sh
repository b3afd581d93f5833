#!/usr/bin/env bash
# The scheduler pass benchmark (docs/benchmarks.md, ## Scheduler): simulator/bench-pass.sh [nodes] [pending]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
java_home="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
(cd "$root" && JAVA_HOME="$java_home" ./mvnw -B -q -o -pl simulator -am install -DskipTests >&2)
exec "$java_home/bin/java" -Xmx8g -XX:+UseParallelGC \
  -cp "$root/scheduler-core/target/sluice-scheduler-core-0.1.0-SNAPSHOT.jar:$root/simulator/target/sluice-simulator-0.1.0-SNAPSHOT.jar" \
  dev.sluice.simulator.PassBenchmark "$@"
