# Sourced by every Sluice script: finds a JDK 25 and exports JAVA_HOME, or says what is missing and exits.
# Order: JAVA_HOME if it is a JDK 25, then the system's JDK 25 under /usr/lib/jvm.
sluice_java_major() {
  # The JDK's release file answers without starting a JVM, which matters for every CLI call.
  if [ -r "$1/release" ]; then
    local v
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n1)"
    if [ -n "$v" ]; then echo "$v"; return 0; fi
  fi
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}
sluice_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(sluice_java_major "$JAVA_HOME")" = "25" ]; then
    return 0
  fi
  local candidate
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25* /opt/java/openjdk; do
    if [ -x "$candidate/bin/javac" ] && [ "$(sluice_java_major "$candidate")" = "25" ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "sluice: error: Sluice needs a JDK 25 (Temurin 25 recommended)." >&2
  echo "sluice: error: JAVA_HOME=${JAVA_HOME:-<unset>} is not one, and none was found under /usr/lib/jvm." >&2
  echo "sluice: error: install Temurin 25 or point JAVA_HOME at a JDK 25, then run this again." >&2
  exit 1
}
sluice_find_jdk
