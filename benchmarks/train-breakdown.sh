#!/usr/bin/env bash
# Where the GPT training step's time goes (issue 13 item 7): GEMM / allocation / ND4J ops / Java
# kernels / other, from JFR samples of the stepping thread
# (dev.tessera.bench.training.TrainStepBreakdown), with memory left to the GC (--plain, the "before"),
# freed deterministically and reused from the pool (--free, the library's default, as the benchmark
# runs it) and with the forward pass also in the StepWorkspace (--workspace). oneDNN's and MKL's sgemm
# count as GEMM. Per category it lists the most frequent innermost frames and the Tessera ops the
# samples were spent for (the first dev.tessera frame that is not shared plumbing), which says where
# the allocation and ND4J-op time comes from.
# Writes benchmarks/results/train-breakdown-<UTC stamp>.txt and prints it.
#
# usage: benchmarks/train-breakdown.sh [--no-build] [MEASURED_STEPS (default 20)] [WARMUP_STEPS (default 30)]
# The warm-up matters: C2 compiles the Vector API kernels over the first ~10-20 steps, and until then
# their vector operations run boxed in the interpreter's fallbacks (seen as FloatVector.bOpTemplate):
# after 10 warm-up steps GEMM was 73.5% of the step, after 20 it was 80%. JMH's GptTrainStepBenchmark
# warms up for 10 s, about 30 steps.
# env:   JAVA_OPTS   JVM options (default -Xmx2g --add-modules jdk.incubator.vector); MAVEN_ARGS as in run.sh
set -euo pipefail

# shellcheck source=benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
steps="${1:-20}"
warmup="${2:-30}"
java_opts="${JAVA_OPTS:--Xmx2g --add-modules jdk.incubator.vector}"

if [[ $build -eq 1 ]]; then build_benchmarks; fi
cp="$(benchmark_classpath)"

mkdir -p benchmarks/results
out="benchmarks/results/train-breakdown-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "command: benchmarks/train-breakdown.sh $steps $warmup   JAVA_OPTS=$java_opts"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') x $(nproc)"
  for mode in --plain --free --workspace; do
    echo "== ${mode#--}"
    # shellcheck disable=SC2086 # JAVA_OPTS is a list of options; an empty mode adds no argument
    java $java_opts -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" \
        dev.tessera.bench.training.TrainStepBreakdown $mode "$steps" "$warmup"
  done
} | tee "$out"
