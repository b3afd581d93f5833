#!/bin/sh
# Launch-time benchmark for the PMI server next to Hydra (mpiexec.mpich). Not part of the tests.
# Needs: Debian packages mpich libmpich-dev; JDK 25. Usage: pmi/bench/run.sh [REPEATS]
set -eu
cd "$(dirname "$0")/../.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export JAVA_HOME
./mvnw -B -q -o -pl pmi install -DskipTests
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpicc.mpich -O1 -o "$work/ring" pmi/src/test/resources/mpi/ring.c
"$JAVA_HOME/bin/java" -cp pmi/target/classes pmi/bench/PmiBench.java "$work/ring" "${1:-10}"
