#!/usr/bin/env bash
# Peak RSS of one GPT training step setup (issue 5: Tessera must use no more memory than PyTorch),
# each side in its own JVM: dev.tessera.bench.training.TrainStepPeakMemory TESSERA|TESSERA_PLAIN|PYTORCH STEPS
# (TESSERA: the library's default, step memory freed deterministically and reused from Tessera's pool;
# TESSERA_WORKSPACE: also the forward pass in the reused StepWorkspace; TESSERA_PLAIN: memory left to the GC).
# Per side two lines: "<SIDE> steps=... peakRSS=..." and "<SIDE> atPeak ..." (the split of the peak).
# Writes benchmarks/results/train-memory-<UTC stamp>.txt and prints it.
#
# usage: benchmarks/train-memory.sh [--no-build] [STEPS (default 5)]
# env:   JAVA_OPTS   JVM options for BOTH sides (default -Xmx256m); MAVEN_ARGS as in run.sh
set -euo pipefail

# shellcheck source=benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
steps="${1:-5}"
# -Xmx256m: the step's live heap is under 10 MB on both sides; a larger heap only lets G1 touch
# more pages with garbage (benchmarks/README.md, memory section). The same for both sides.
java_opts="${JAVA_OPTS:--Xmx256m --add-modules jdk.incubator.vector}"

if [[ $build -eq 1 ]]; then build_benchmarks; fi
cp="$(benchmark_classpath)"

mkdir -p benchmarks/results
out="benchmarks/results/train-memory-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: benchmarks/train-memory.sh $steps   JAVA_OPTS=$java_opts"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for side in TESSERA TESSERA_WORKSPACE TESSERA_PLAIN PYTORCH; do
    log="$(mktemp)"
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
    if ! java $java_opts -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" \
        dev.tessera.bench.training.TrainStepPeakMemory "$side" "$steps" > "$log" 2>&1; then
      echo "$side failed:"; tail -n 20 "$log"; rm -f "$log"; exit 1
    fi
    grep -E "peakRSS=| atPeak " "$log"
    rm -f "$log"
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out"
