# Sourced by bin/sbatch, bin/squeue, bin/scancel, bin/sacct: runs the Sluice CLI with a fast start.
# Usage: sluice_cli <command> "$@"
SLUICE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$SLUICE_REPO/bin/lib/jdk.sh"

sluice_cli() {
  local cmd="$1"; shift
  local target="$SLUICE_REPO/cli/target"
  if [ ! -f "$target/sluice-cli.jar" ] || [ ! -d "$target/lib" ]; then
    echo "$cmd: building the Sluice CLI first (once) ..." >&2
    (cd "$SLUICE_REPO" && ./mvnw -B -q -o -pl cli -am install -DskipTests >&2 \
      || ./mvnw -B -q -pl cli -am install -DskipTests >&2) || {
      echo "$cmd: error: could not build the CLI; run: cd $SLUICE_REPO && ./mvnw -pl cli -am install -DskipTests" >&2
      exit 1
    }
  fi
  # AppCDS: the first run writes the archive, later runs map it (a fraction of the start-up time). Only a user who
  # may write it asks for it to be made: for anyone else a missing archive is a fatal JVM error at exit ("Unable to
  # use shared archive", exit 1), so they map an existing one read-only, or start without it.
  local cds=()
  if [ -w "$target" ]; then
    cds=(-XX:SharedArchiveFile="$target/sluice-cli.jsa" -XX:+AutoCreateSharedArchive)
  elif [ -r "$target/sluice-cli.jsa" ]; then
    cds=(-XX:SharedArchiveFile="$target/sluice-cli.jsa")
  fi
  exec "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto \
    "${cds[@]}" -Xlog:cds=off -Xlog:cds+dynamic=off \
    -Dsluice.home.default="$SLUICE_REPO/.sluice" \
    -jar "$target/sluice-cli.jar" "$cmd" "$@"
}
