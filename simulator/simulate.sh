#!/usr/bin/env bash
# ./sluice simulate: runs the scheduling core in virtual time over an SWF trace and prints JSON metrics.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/bin/lib/jdk.sh"
java_home="$JAVA_HOME"
core="$root/scheduler-core/target/sluice-scheduler-core-0.1.0-SNAPSHOT.jar"
sim="$root/simulator/target/sluice-simulator-0.1.0-SNAPSHOT.jar"
if [[ ! -f "$core" || ! -f "$sim" ]]; then
  (cd "$root" && JAVA_HOME="$java_home" ./mvnw -B -q -pl simulator -am install -DskipTests >&2)
fi
exec "$java_home/bin/java" -XX:+UseParallelGC -Dsluice.default-trace="$root/../shared/data/lublin_256.swf" -cp "$core:$sim" dev.sluice.simulator.Simulate "$@"
