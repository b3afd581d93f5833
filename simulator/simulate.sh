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
# profiles, JEP 483/515) is used. It is made once per build by a short training run of both policies on the
# project's trace (a few seconds, said on stderr), so every later run starts from the same profiles whatever it
# asks for. SLUICE_SIMULATE_AOT=0 runs without it.
aot="$root/simulator/target/simulate.aot"
aot_opts=()
if [[ "${SLUICE_SIMULATE_AOT:-1}" != 0 ]]; then
  if [[ ! -f "$aot" || "$aot" -ot "$core" || "$aot" -ot "$sim" ]] && [[ -w "$(dirname "$aot")" ]]; then
    echo "sluice simulate: first run since the build: training the JIT warm-up cache ($aot)" >&2
    rm -f "$aot"
    "$java_home/bin/java" -XX:+UseParallelGC -XX:AOTCacheOutput="$aot" -Xlog:aot=off -Xlog:cds=off \
      -cp "$core:$sim" dev.sluice.simulator.Simulate --trace "$root/../shared/data/lublin_256.swf" \
      --policy fifo,easy >/dev/null 2>&1 || rm -f "$aot"
  fi
  if [[ -f "$aot" ]]; then
    aot_opts=(-XX:AOTCache="$aot")
  fi
fi
exec "$java_home/bin/java" -XX:+UseParallelGC "${aot_opts[@]}" -Xlog:aot=off -Xlog:cds=off \
  -Dsluice.default-trace="$root/../shared/data/lublin_256.swf" -cp "$core:$sim" dev.sluice.simulator.Simulate "$@"
