#!/usr/bin/env bash
# Runs Tessera's JMH suite (or the benchmarks matching a regex) and writes
#   benchmarks/results/jmh-<UTC stamp>.json   JMH's own JSON
#   benchmarks/results/report.md              Tessera / anchor speed-ups (Markdown)
#   benchmarks/results/chart.svg              the same as a bar chart
#
# usage: benchmarks/run.sh [--quick] [--no-build] [--prof gc|offheap|<jmh profiler>]... [REGEX] [-- JMH args...]
#   --quick     1 fork, 3 x 1 s warm-up, 5 x 1 s measurement: a few minutes on 2 cores
#   (default)   2 forks, 5 x 2 s warm-up, 10 x 2 s measurement
#   --no-build  reuse the last build
#   --prof X    add a JMH profiler; "offheap" is dev.tessera.bench.OffHeapPeakProfiler
#   REGEX       JMH's benchmark filter, e.g. Sgemm or 'Sgemm.*tessera'
# examples: benchmarks/run.sh --quick Sgemm      benchmarks/run.sh --quick -- -p n=512,1024
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

quick=0
build=1
regex=""
profs=()
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --no-build) build=0; shift ;;
    --prof)
      [[ $# -ge 2 ]] || { echo "--prof needs a profiler name" >&2; exit 2; }
      if [[ "$2" == "offheap" ]]; then profs+=(-prof dev.tessera.bench.OffHeapPeakProfiler); else profs+=(-prof "$2"); fi
      shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) regex="$1"; shift ;;
  esac
done

if [[ $build -eq 1 ]]; then
  echo "== building benchmarks (mvn package, tests skipped)"
  # Offline first (fast, no network); online only when something has not been downloaded yet.
  mvn -o -q -pl benchmarks -am package -DskipTests || mvn -q -pl benchmarks -am package -DskipTests
fi

jar="$(ls benchmarks/target/tessera-benchmarks-*.jar | grep -v -- '-tests.jar' | head -n 1)"
cp="$jar:$(cat benchmarks/target/classpath.txt)"

if [[ $quick -eq 1 ]]; then
  opts=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
else
  opts=(-f 2 -wi 5 -w 2s -i 10 -r 2s)
fi

mkdir -p benchmarks/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
json="benchmarks/results/jmh-$stamp.json"
echo "== JMH ${regex:-<all>} ${opts[*]} ${profs[*]:-} ${extra[*]:-} -> $json"
java -cp "$cp" org.openjdk.jmh.Main ${regex:+"$regex"} "${opts[@]}" "${profs[@]}" -rf json -rff "$json" "${extra[@]}"

echo "== report"
java -cp "$cp" dev.tessera.bench.report.Report "$json" benchmarks/results
