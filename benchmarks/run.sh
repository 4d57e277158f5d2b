#!/usr/bin/env bash
# Runs Tessera's JMH suite (or the benchmarks matching a regex) and writes
#   benchmarks/results/jmh-<UTC stamp>.json   JMH's own JSON
#   benchmarks/results/report.md              Tessera / anchor speed-ups (Markdown)
#   benchmarks/results/chart.svg              the same as a bar chart
#   benchmarks/results/jmh-<UTC stamp>.env.txt the machine, the command and the load average around the run
#
# usage: benchmarks/run.sh [--quick] [--no-build] [--prof gc|offheap|<jmh profiler>]... [REGEX] [-- JMH args...]
#   --quick     1 fork, 2 x 0.5 s warm-up, 5 x 0.5 s measurement, and one size per benchmark
#               (-p n=1024 -p t=1024 -p attnShape=4x8x256x64 -p merges=300; a -p after -- wins):
#               about 5 s per benchmark method plus JVM start
#   (default)   2 forks, 5 x 2 s warm-up, 10 x 2 s measurement
#   --no-build  reuse the last build
#   --prof X    add a JMH profiler; "offheap" is dev.tessera.bench.OffHeapPeakProfiler
#   REGEX       JMH's benchmark filter, e.g. Sgemm or 'Sgemm.*tessera'
# examples: benchmarks/run.sh --quick Sgemm      benchmarks/run.sh --quick -- -p n=512,1024
# env:      MAVEN_ARGS  extra arguments for the build's mvn calls, split on spaces, e.g.
#           MAVEN_ARGS='-Dmaven.repo.local=/path/to/repo' benchmarks/run.sh --quick
#           (unset: plain mvn with ~/.m2; Maven >= 3.9 also reads MAVEN_ARGS itself, repeats are harmless)
set -euo pipefail

# shellcheck source=benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command_line="benchmarks/run.sh $*"
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
    -h|--help) sed -n "2,20p" "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) regex="$1"; shift ;;
  esac
done

if [[ $build -eq 1 ]]; then build_benchmarks; fi

cp="$(benchmark_classpath)"

if [[ $quick -eq 1 ]]; then
  opts=(-f 1 -wi 2 -w 500ms -i 5 -r 500ms)
  # One size per parameterised benchmark, unless the caller chose one after "--".
  for p in n=1024 t=1024 attnShape=4x8x256x64 merges=300; do
    if [[ " ${extra[*]:-} " != *" ${p%%=*}="* ]]; then opts+=(-p "$p"); fi
  done
else
  opts=(-f 2 -wi 5 -w 2s -i 10 -r 2s)
fi

mkdir -p benchmarks/results
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
json="benchmarks/results/jmh-$stamp.json"
env_file="benchmarks/results/jmh-$stamp.env.txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: $command_line"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //') x $(nproc 2>/dev/null || echo '?')"
  echo "java: $(java -version 2>&1 | head -n 1)"
  echo "load average before (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)"
} > "$env_file"
echo "== JMH ${regex:-<all>} ${opts[*]} ${profs[*]:-} ${extra[*]:-} -> $json"
java -cp "$cp" org.openjdk.jmh.Main ${regex:+"$regex"} "${opts[@]}" "${profs[@]}" -rf json -rff "$json" "${extra[@]}"

echo "load average after (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)" >> "$env_file"
cat "$env_file"

echo "== report"
java -cp "$cp" dev.tessera.bench.report.Report "$json" benchmarks/results
