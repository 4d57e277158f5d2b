#!/usr/bin/env bash
# Runs the Pretrain GPT recipe data parallel on a Spark standalone cluster on this machine's loopback:
# a master and two workers started from Spark's jars on Maven Central (nothing else is downloaded),
# then dev.tessera.training.cli.SparkPretrain as the driver; stops the cluster when it ends.
#
#   training/scripts/spark-standalone.sh [SparkPretrain/Pretrain options...]
#
# Defaults train a small GPT for 60 steps on a corpus made of this repository's sources and docs.
# MODE=local runs the same job on Spark local[2] instead (no cluster). WORKERS (2) sets the worker
# count, PORT (17077) the master's port. Output goes to training/target/spark-run/.
#
# Java 17+ needs these module openings for Spark (the list Spark passes to its own JVMs):
#   --add-opens=java.base/java.lang=ALL-UNNAMED ... (see OPENS below)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
MODE="${MODE:-standalone}"
WORKERS="${WORKERS:-2}"
PORT="${PORT:-17077}"
RUN="$ROOT/training/target/spark-run"
SPARK_HOME="$ROOT/training/target/spark-home"
OPENS="-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true --add-modules jdk.incubator.vector"

# 1. build Tessera and gather the classpaths: the application's (Tessera, ND4J) and Spark's jars
mvn -B -ntp -q install -DskipTests -pl training -am
mvn -B -ntp -q -pl training dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$RUN.cp"
APP_CP="$(ls "$ROOT"/training/target/tessera-training-*.jar | grep -v -e sources -e tests | head -1):$(cat "$RUN.cp")"
if [ ! -f "$SPARK_HOME/RELEASE" ]; then
  mvn -B -ntp -q -f training/scripts/spark-jars.pom.xml dependency:copy-dependencies -DoutputDirectory="$SPARK_HOME/jars"
  echo "Spark jars from Maven Central (spark-core and its dependencies)" > "$SPARK_HOME/RELEASE"
fi
mkdir -p "$RUN"
cat > "$RUN/log4j2.properties" <<'LOG'
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
logger.tessera.name = dev.tessera
logger.tessera.level = info
LOG

# 2. a corpus: this repository's Java sources and Markdown (a few MB of text)
CORPUS="$RUN/corpus.txt"
[ -f "$CORPUS" ] || git ls-files '*.java' '*.md' | xargs cat > "$CORPUS"

PIDS=()
stop_cluster() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_cluster EXIT

export SPARK_HOME SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
SPARK_CP="$SPARK_HOME/jars/*"
LOGCONF="-Dlog4j2.configurationFile=file:$RUN/log4j2.properties"
if [ "$MODE" = standalone ]; then
  MASTER="spark://127.0.0.1:$PORT"
  # 3. the cluster: one master and WORKERS workers of one core each, all on 127.0.0.1
  java $OPENS $LOGCONF -Xmx512m -cp "$SPARK_CP" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$PORT" --webui-port $((PORT + 1)) > "$RUN/master.log" 2>&1 &
  PIDS+=($!)
  for i in $(seq 1 "$WORKERS"); do
    mkdir -p "$RUN/worker-$i"
    java $OPENS $LOGCONF -Xmx512m -cp "$SPARK_CP" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --cores 1 --memory 3g --webui-port $((PORT + 1 + i)) --work-dir "$RUN/worker-$i" \
        "$MASTER" > "$RUN/worker-$i.log" 2>&1 &
    PIDS+=($!)
  done
  sleep 5
else
  MASTER="local[$WORKERS]"
fi

# 4. the driver: SparkPretrain with the Pretrain options (defaults below, overridable by arguments)
echo "== SparkPretrain on $MASTER with $WORKERS workers (logs in $RUN)"
java $OPENS $LOGCONF -Xmx2g -cp "$APP_CP:$SPARK_CP" \
    -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 -Dspark.ui.enabled=false \
    -Dspark.executor.cores=1 -Dspark.executor.memory=2g -Dspark.executorEnv.OMP_NUM_THREADS=1 \
    -Dspark.executor.extraClassPath="$APP_CP" \
    -Dspark.executor.extraJavaOptions="$OPENS $LOGCONF" \
    -Dspark.rpc.message.maxSize=512 \
    dev.tessera.training.cli.SparkPretrain --master "$MASTER" --workers "$WORKERS" \
    --text "$CORPUS" --out "$RUN/out-$MODE-$WORKERS" --layers 2 --heads 4 --embd 128 --context 64 \
    --batch 16 --steps 60 --warmup 10 --eval-every 30 --eval-batches 4 --ckpt-every 30 "$@"
