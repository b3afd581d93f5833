#!/usr/bin/env bash
# The foundation's baselines (docs/benchmarks.md): time until `./sluice up` is ready, submit-to-COMPLETED latency
# of a trivial job, accepted submissions per second through REST and through bin/sbatch, and the drain rate.
# Usage: bench/foundation.sh [latency-jobs=100] [rest-submissions=2000] [rest-clients=8] [sbatch-calls=100]
# Brings up its own Sluice in a fresh data folder and takes it down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
source bin/lib/jdk.sh
LAT=${1:-100}; REST=${2:-2000}; CLIENTS=${3:-8}; SBATCH=${4:-100}
export SLUICE_HOME=$(mktemp -d /tmp/sluice-bench-home.XXXXXX)
trap './sluice down --data "$SLUICE_HOME" >/dev/null 2>&1 || true' EXIT

[ -f benchmarks/target/classpath.txt ] || ./mvnw -B -q install -DskipTests
./sluice up --data "$SLUICE_HOME" >/dev/null   # builds and warms the page cache; not timed
./sluice down --data "$SLUICE_HOME" >/dev/null
rm -rf "$SLUICE_HOME"; mkdir -p "$SLUICE_HOME"

start=$(date +%s.%N)
./sluice up --data "$SLUICE_HOME" >/dev/null
up_s=$(echo "$(date +%s.%N) - $start" | bc)
echo "sluice up (fresh data folder): ${up_s} s" >&2

"$JAVA_HOME/bin/java" -cp "benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)" \
  dev.sluice.bench.FoundationBenchmark "$LAT" "$REST" "$CLIENTS" > /tmp/sluice-bench-rest.json

work=$(mktemp -d)
printf '#!/bin/bash\n#SBATCH --output=/dev/null\ntrue\n' > "$work/true.sh"
bin/sbatch "$work/true.sh" >/dev/null   # the first call creates the CLI's class-data archive
start=$(date +%s.%N)
for _ in $(seq "$SBATCH"); do bin/sbatch "$work/true.sh" >/dev/null; done
seq_s=$(echo "$(date +%s.%N) - $start" | bc)
start=$(date +%s.%N)
seq "$SBATCH" | xargs -P 4 -I{} bin/sbatch "$work/true.sh" >/dev/null
par_s=$(echo "$(date +%s.%N) - $start" | bc)

python3 - "$up_s" "$SBATCH" "$seq_s" "$par_s" <<'PY'
import json, sys
up, n, seq, par = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
r = json.load(open('/tmp/sluice-bench-rest.json'))
r['sluice_up_seconds'] = round(up, 1)
r['sbatch_cli'] = {'calls': n, 'sequential_per_second': round(n / seq, 1), 'four_parallel_per_second': round(n / par, 1)}
print(json.dumps(r, indent=2))
PY
