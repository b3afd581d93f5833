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
# JIT warm-up is a large part of a run this short, so the JDK's AOT cache (class loading, linking and method
# profiles from an earlier run, JEP 483/515) is used: the first run writes it, later runs start from it. It is
# written anew when the jars change; SLUICE_SIMULATE_AOT=0 runs without it.
aot="$root/simulator/target/simulate.aot"
aot_opts=()
if [[ "${SLUICE_SIMULATE_AOT:-1}" != 0 ]]; then
  if [[ -f "$aot" && "$aot" -nt "$core" && "$aot" -nt "$sim" ]]; then
    aot_opts=(-XX:AOTCache="$aot")
  elif [[ -w "$(dirname "$aot")" ]] && [[ " $* " != *" -h "* && " $* " != *" --help "* ]]; then
    echo "sluice simulate: first run since the build: also writing a warm-up cache ($aot) for later runs" >&2
    rm -f "$aot"
    aot_opts=(-XX:AOTCacheOutput="$aot")
  fi
fi
exec "$java_home/bin/java" -XX:+UseParallelGC "${aot_opts[@]}" -Xlog:aot=off -Xlog:cds=off \
  -Dsluice.default-trace="$root/../shared/data/lublin_256.swf" -cp "$core:$sim" dev.sluice.simulator.Simulate "$@"
