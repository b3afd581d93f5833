#!/usr/bin/env bash
# Step launch benchmarks (docs/benchmarks.md, "Steps (srun)" and "MPI through srun"): per-step overhead inside an
# allocation, srun against mpirun side by side in the same allocation, runs interleaved so both see the same load.
#   srun -n 2 true                      (C client; the Java client; the JVM start alone; the agent alone via curl)
#   mpirun -np 2 true
#   srun -n 2 --mpi=pmix ./hello.openmpi    vs  mpirun -np 2 ./hello.openmpi
#   srun -N 4 -n 32 --mpi=pmix ./hello.openmpi  vs  mpirun -np 32 ./hello.openmpi
#   srun -n 2 --mpi=pmi2 ./hello.mpich      vs  mpiexec.mpich -n 2 ./hello.mpich
# Usage: examples/mpi/bench-steps.sh [reps=20] [reps-32=5]
# (BENCH_PAUSE=3: seconds of rest before each pmix and mpirun run, three times that for 32 ranks, so a node agent's
#  replacement of its warm PMIx helper is not timed; BENCH_USE_RUNNING=1: the Sluice of $SLUICE_HOME; BENCH_UP_ARGS, BENCH_NODES, BENCH_TASKS: another cluster and allocation shape; runs that fail are counted, not timed)
# Brings up its own Sluice (4 nodes of 8 CPUs) in a fresh data folder and takes it down at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
REPS=${1:-20}; REPS32=${2:-5}
source bin/lib/jdk.sh
make -s -C examples/mpi >/dev/null
make -s -C cli/native >/dev/null
if [ -z "${BENCH_USE_RUNNING:-}" ]; then
  export SLUICE_HOME=$(mktemp -d /tmp/sluice-bench-steps.XXXXXX)
  trap './sluice down --data "$SLUICE_HOME" >/dev/null 2>&1 || true' EXIT
  # BENCH_UP_ARGS: another cluster shape (the 32-rank runs need 4 nodes of 8 CPUs).
  ./sluice up --data "$SLUICE_HOME" ${BENCH_UP_ARGS:---nodes 4 --cpus-per-node 8} >/dev/null
fi
work=$(mktemp -d /tmp/sluice-bench-steps-work.XXXXXX)
cp examples/mpi/hello.openmpi examples/mpi/hello.mpich "$work/"
chmod 755 "$work"

cat > "$work/bench.sh" <<EOF
#!/bin/bash
#SBATCH --nodes=${BENCH_NODES:-4}
#SBATCH --ntasks=${BENCH_TASKS:-32}
#SBATCH --output=$work/bench.out
#SBATCH --error=$work/bench.err
export PATH=$REPO/bin:\$PATH
cd $work
ms() { local s=\$(date +%s%N); if "\$@" >/dev/null 2>&1; then echo \$(( (\$(date +%s%N) - s) / 1000000 )); else echo "FAILED \$*" >&2; echo FAILED; fi; }
agent_step() {
  curl -s -N -X POST -H "X-Sluice-Job-Token: \$SLUICE_JOB_TOKEN" -H 'Content-Type: application/json' \
    -d '{"argv":["/bin/true"],"ntasks":2,"env":{"PATH":"/usr/bin:/bin"},"cwd":"/tmp"}' \
    "http://\$SLUICE_NODE_AGENT/api/v1/jobs/\$SLURM_JOB_ID/steps" | grep -q '"finished"'
}
MPIRUN="mpirun.openmpi --allow-run-as-root --oversubscribe"
# Inside an allocation hydra would bootstrap through srun (with --input, which Sluice's srun refuses); the baseline
# is MPICH's own launcher on this one host.
MPIEXEC="mpiexec.mpich -launcher fork -rmk user -hosts localhost"
PAUSE=${BENCH_PAUSE:-3}
# Warm-up: the CLI's class-data archive, the page cache, the first PMIx server start.
srun -n 2 true; SLUICE_SRUN_JAVA=1 srun -n 2 true; \$MPIRUN -np 2 true; srun -n 2 --mpi=pmix ./hello.openmpi; \$MPIRUN -np 2 ./hello.openmpi
srun -n 2 --mpi=pmi2 ./hello.mpich; \$MPIEXEC -n 2 ./hello.mpich
for i in \$(seq $REPS); do
  echo "srun_c_true \$(ms srun -n 2 true)"
  echo "mpirun_true \$(ms \$MPIRUN -np 2 true)"
  echo "srun_java_true \$(ms env SLUICE_SRUN_JAVA=1 srun -n 2 true)"
  echo "java_start \$(ms env SLUICE_SRUN_JAVA=1 srun --version)"
  echo "agent_true \$(ms agent_step)"
  # Each node agent replaces its warm PMIx helper after a pmix step (a JVM start, about 1 s of CPU): the pauses
  # keep that out of the next measurement, and come before srun and mpirun alike.
  sleep \$PAUSE; echo "srun_pmix_hello2 \$(ms srun -n 2 --mpi=pmix ./hello.openmpi)"
  sleep \$PAUSE; echo "mpirun_hello2 \$(ms \$MPIRUN -np 2 ./hello.openmpi)"
  echo "srun_pmi2_hello2 \$(ms srun -n 2 --mpi=pmi2 ./hello.mpich)"
  echo "mpiexec_mpich_hello2 \$(ms \$MPIEXEC -n 2 ./hello.mpich)"
done
for i in \$(seq $REPS32); do
  sleep \$((PAUSE * 3)); echo "srun_pmix_hello32 \$(ms srun -N 4 -n 32 --mpi=pmix ./hello.openmpi)"
  sleep \$((PAUSE * 3)); echo "mpirun_hello32 \$(ms \$MPIRUN -np 32 ./hello.openmpi)"
done
echo DONE
EOF
load_before=$(cat /proc/loadavg)
id=$(bin/sbatch --parsable "$work/bench.sh")
echo "benchmark job $id; results in $work/bench.out" >&2
until grep -q DONE "$work/bench.out" 2>/dev/null; do
  sleep 10
  if ! bin/squeue -h -j "$id" 2>/dev/null | grep -qw "$id" && ! grep -q DONE "$work/bench.out" 2>/dev/null; then
    echo "the benchmark job ended early:" >&2; cat "$work/bench.out" "$work/bench.err" >&2; exit 1
  fi
done
[ -s "$work/bench.err" ] && { echo "failures:" >&2; sort "$work/bench.err" | uniq -c >&2; }
python3 - "$work/bench.out" "$(cat /proc/loadavg)" "$load_before" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) == 2 and w[1].isdigit():
        rows.setdefault(w[0], []).append(int(w[1]))
def m(k): return statistics.median(rows[k]) if k in rows else float('nan')
def row(name, k): 
    v = rows.get(k, [])
    print(f"| {name} | {m(k):.0f} ms | {min(v) if v else 0} ms | {len(v)} |")
print("load average before:", sys.argv[3], "; at the end:", sys.argv[2])
print("| command (inside one 4-node allocation) | median | min | runs |")
print("|---|---|---|---|")
row("`srun -n 2 true` (C client)", "srun_c_true")
row("`srun -n 2 true` (Java client)", "srun_java_true")
row("JVM start of the Java client alone (`srun --version`)", "java_start")
row("agent side alone: the step's POST and stream through curl", "agent_true")
row("`mpirun -np 2 true`", "mpirun_true")
row("`srun -n 2 --mpi=pmix ./hello` (Open MPI)", "srun_pmix_hello2")
row("`mpirun -np 2 ./hello`", "mpirun_hello2")
row("`srun -N 4 -n 32 --mpi=pmix ./hello`", "srun_pmix_hello32")
row("`mpirun -np 32 ./hello`", "mpirun_hello32")
row("`srun -n 2 --mpi=pmi2 ./hello` (MPICH)", "srun_pmi2_hello2")
row("`mpiexec.mpich -n 2 ./hello`", "mpiexec_mpich_hello2")
for a, b, what in [("srun_c_true", "mpirun_true", "srun -n 2 true (C) / mpirun"),
                   ("srun_java_true", "mpirun_true", "srun -n 2 true (Java) / mpirun"),
                   ("srun_pmix_hello2", "mpirun_hello2", "srun --mpi=pmix hello / mpirun, 2 ranks"),
                   ("srun_pmix_hello32", "mpirun_hello32", "srun --mpi=pmix hello / mpirun, 32 ranks"),
                   ("srun_pmi2_hello2", "mpiexec_mpich_hello2", "srun --mpi=pmi2 hello / mpiexec.mpich, 2 ranks")]:
    print(f"ratio {what}: {m(a) / m(b):.2f}x")
PY
