# Shared start of the benchmark scripts (run.sh, train-breakdown.sh, train-memory.sh); source it,
# do not run it. Sourcing moves to the repository root and defines:
#   build_benchmarks      packages the benchmarks module and what it needs (tests skipped): offline
#                         first (fast, no network), online only when something has not been
#                         downloaded yet; MAVEN_ARGS: extra mvn arguments, split on spaces
#   benchmark_classpath   prints the class path of the benchmarks jar and its dependencies
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

build_benchmarks() {
  echo "== building benchmarks (mvn package, tests skipped)"
  # shellcheck disable=SC2206 # word splitting of MAVEN_ARGS is intended
  local mvn_args=(${MAVEN_ARGS:-})
  mvn -o -q "${mvn_args[@]}" -pl benchmarks -am package -DskipTests \
    || mvn -q "${mvn_args[@]}" -pl benchmarks -am package -DskipTests
}

benchmark_classpath() {
  # explicit returns: errexit does not reach into the command substitution that calls this
  local jar deps
  jar="$(ls benchmarks/target/tessera-benchmarks-*.jar | grep -Ev -- '-(tests|sources|javadoc)\.jar$' | head -n 1)" || return 1
  deps="$(cat benchmarks/target/classpath.txt)" || return 1
  echo "$jar:$deps"
}
