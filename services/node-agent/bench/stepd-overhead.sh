#!/bin/sh
# Per-launch overhead of sluice-stepd: N runs of /bin/true directly, through sluice-stepd in direct mode, and
# through sluice-stepd in status-file mode as nobody in fresh v1 cgroups (what the agent does for a batch script).
# Usage: services/node-agent/bench/stepd-overhead.sh [N]   (needs root and a built launcher/target/native/sluice-stepd)
set -eu
N=${1:-1000}
cd "$(dirname "$0")/../../.."
STEPD=launcher/target/native/sluice-stepd
T=$(mktemp -d)
trap 'rm -rf "$T"; for c in cpuset memory pids; do rmdir /sys/fs/cgroup/$c/sluice-bench 2>/dev/null || true; done' EXIT
chmod 777 "$T"
for c in cpuset memory pids; do mkdir -p /sys/fs/cgroup/$c/sluice-bench; done
cat /sys/fs/cgroup/cpuset/cpuset.cpus > /sys/fs/cgroup/cpuset/sluice-bench/cpuset.cpus
cat /sys/fs/cgroup/cpuset/cpuset.mems > /sys/fs/cgroup/cpuset/sluice-bench/cpuset.mems
run() {
  label=$1; shift
  s=$(date +%s%N)
  i=0
  while [ $i -lt "$N" ]; do "$@" >/dev/null; i=$((i+1)); done
  e=$(date +%s%N)
  echo "$label: $(( (e - s) / N / 1000 )) us per launch ($N runs)"
}
run "/bin/true" /bin/true
run "sluice-stepd -- /bin/true" "$STEPD" -- /bin/true
run "sluice-stepd --status-file, as nobody, 3 cgroups, --cpus 0" "$STEPD" --uid 65534 --gid 65534 \
  --cgroup-procs /sys/fs/cgroup/cpuset/sluice-bench/cgroup.procs \
  --cgroup-procs /sys/fs/cgroup/memory/sluice-bench/cgroup.procs \
  --cgroup-procs /sys/fs/cgroup/pids/sluice-bench/cgroup.procs \
  --cpus 0 --chdir "$T" --stdout "$T/out" --status-file "$T/status" -- /bin/true
