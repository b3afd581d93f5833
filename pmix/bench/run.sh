#!/bin/sh
# Launch-time benchmark: Open MPI ranks through Sluice's PMIx helpers (warm and cold) next to mpirun.openmpi.
# Not part of the tests. Needs: Debian packages openmpi-bin libopenmpi-dev libpmix-dev libpmix2, gcc; JDK 25.
# Usage: pmix/bench/run.sh [REPEATS]
set -eu
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
./mvnw -B -q -o -pl pmix -am install -DskipTests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpicc.openmpi -O1 -o "$work/ring" pmix/src/test/resources/mpi/ring.c
cp="pmix/target/sluice-pmix-0.1.0-SNAPSHOT.jar:pmi/target/sluice-pmi-0.1.0-SNAPSHOT.jar"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA_HOME/bin/java" -cp "$cp" pmix/bench/PmixBench.java "$work/ring" "${1:-10}" "$work"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
