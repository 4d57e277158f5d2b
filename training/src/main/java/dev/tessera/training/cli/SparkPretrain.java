package dev.tessera.training.cli;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.backend.Backend;
import dev.tessera.core.Rng;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.Sequential;
import dev.tessera.training.data.TokenFile;
import dev.tessera.training.data.WindowSampler;
import dev.tessera.training.distributed.GradientExchange;
import dev.tessera.training.distributed.Replica;
import dev.tessera.training.distributed.ReplicaTask;
import dev.tessera.training.distributed.SparkBarrierCollective;
import dev.tessera.training.distributed.SparkDataParallel;
import dev.tessera.training.loop.EvalMetrics;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.loop.TrainingResult;
import dev.tessera.training.loss.CrossEntropyOptions;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The {@link Pretrain} GPT run, data parallel on a Spark cluster: the driver prepares the tokenizer
 * and {@code OUT/tokens.bin} as {@code Pretrain} does, then runs one barrier stage of
 * {@code --workers} tasks; each builds the same model from the same seed, trains on its shard of
 * every global batch of {@code --batch} rows and sums gradients with the others every step. Rank 0
 * writes the checkpoints to {@code OUT/checkpoints}; {@code --resume} (and Spark's retry of a failed
 * stage) restores them on every rank. OUT must be the same path on every worker (one machine, or a
 * shared file system).
 *
 * <pre>
 * mvn -q -pl training exec:java -Dexec.mainClass=dev.tessera.training.cli.SparkPretrain \
 *     -Dexec.args="--master local[2] --workers 2 --text corpus.txt --out runs/spark --steps 60"
 * </pre>
 * The JVM needs Spark's {@code --add-opens} flags (training/scripts/spark-standalone.sh lists them).
 * Options: {@code --master URL} (default {@code local[W]}), {@code --workers W} (default 2), then
 * those of {@link PretrainOptions#usage()} with {@code --objective gpt}; {@code --time-limit} is not
 * supported (the replicas must stop at the same step: use {@code --stop-after}).
 */
public final class SparkPretrain {
    private SparkPretrain() {}

    /**
     * What one replica reports back to the driver.
     *
     * @param stepSeconds wall time of all its steps
     * @param exchangeSeconds the part of it spent summing counts, gradients and loss over the replicas
     * @param payloadBytes one step's gradient buffer (what every replica contributes)
     * @param sentBytes message bytes its collective calls sent
     * @param receivedBytes message bytes its collective calls received
     */
    record ReplicaReport(int rank, long steps, long stepsRun, double stepSeconds, double exchangeSeconds,
            long payloadBytes, long sentBytes, long receivedBytes, long calls, long tokens, double valLoss,
            double valAccuracy, long resumedFrom) implements Serializable {}

    public static void main(String[] args) throws IOException {
        Backend.init();
        String master = null;
        int workers = 2;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if ((args[i].equals("--master") || args[i].equals("--workers")) && i + 1 < args.length) {
                if (args[i].equals("--master")) {
                    master = args[++i];
                } else {
                    workers = Integer.parseInt(args[++i]);
                }
            } else {
                rest.add(args[i]);
            }
        }
        String[] pretrainArgs = rest.toArray(new String[0]);
        PretrainOptions o;
        try {
            o = PretrainOptions.parse(pretrainArgs);
            check(o, workers);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: SparkPretrain [--master URL (local[W])] [--workers W (2)] Pretrain-options");
            System.err.println(PretrainOptions.usage());
            System.exit(2);
            return;
        }
        SparkConf conf = new SparkConf().setAppName("tessera-pretrain")
                .setMaster(master == null ? "local[" + workers + "]" : master)
                .setIfMissing("spark.ui.showConsoleProgress", "false")
                // progress from running tasks reaches the driver with the executors' heartbeats
                .setIfMissing("spark.executor.heartbeatInterval", "5s");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            run(sc, workers, pretrainArgs, System.out);
        }
    }

    /** Rejects what a data-parallel run cannot do: BERT, a batch that does not split, a time limit. */
    static void check(PretrainOptions o, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("--workers must be >= 1 but was " + workers);
        }
        if (o.objective() != PretrainTask.GPT) {
            throw new IllegalArgumentException("SparkPretrain trains --objective gpt only but got " + o.objective());
        }
        if (o.batch() % workers != 0) {
            throw new IllegalArgumentException("--batch (" + o.batch() + ", the global batch) must be a multiple of --workers ("
                    + workers + ")");
        }
        if (o.timeLimitSeconds() > 0) {
            throw new IllegalArgumentException("--time-limit is not supported on Spark (the replicas must stop at the same"
                    + " step); use --stop-after");
        }
    }

    /** Prepares the corpus on the driver, trains on {@code workers} barrier tasks and prints the result. */
    public static List<ReplicaReport> run(JavaSparkContext sc, int workers, String[] pretrainArgs, PrintStream out)
            throws IOException {
        pretrainArgs = absolutePaths(pretrainArgs); // the executors run in their own working directories
        PretrainOptions o = PretrainOptions.parse(pretrainArgs);
        check(o, workers);
        Corpus corpus = Corpus.prepare(o, out);
        long n = corpus.tokens.size();
        long valTokens = Math.max(n / 20, (long) o.evalBatches() * o.batch() * o.context() + 1);
        long valStart = n - valTokens;
        if (valStart < o.context() + 1L) {
            throw new IllegalArgumentException("the corpus has only " + n + " tokens: too few for --context " + o.context()
                    + " with a validation split of " + valTokens);
        }
        int vocab = corpus.tokenizer.vocabSize();
        long parameters = new GptModel(new GptConfig(vocab, o.context(), o.embd(), o.layers(), o.heads(), o.dropout(), 1e-5),
                new Rng(o.seed()), DataType.FLOAT).parameterCount();
        out.printf("model: GPT, %d layers, %d heads, width %d, context %d, vocabulary %d, %,d parameters%n", o.layers(),
                o.heads(), o.embd(), o.context(), vocab, parameters);
        out.printf("data parallel on %s: %d workers, global batch %d (%d per worker) x %d accumulation x T %d%n",
                sc.master(), workers, o.batch(), o.batch() / workers, o.accum(), o.context());
        long t0 = System.nanoTime();
        List<ReplicaReport> reports = SparkDataParallel.run(sc, workers,
                new GptReplica(pretrainArgs, vocab, valStart));
        double wall = (System.nanoTime() - t0) / 1e9;
        for (ReplicaReport r : reports) {
            long k = Math.max(1, r.stepsRun());
            out.printf("rank %d: %d steps run (resumed from %d), %.1f ms/step, exchange %.1f ms/step; gradient buffer %.2f MB,"
                    + " sent %.2f MB/step, received %.2f MB/step (%d allGather calls)%n", r.rank(), r.stepsRun(),
                    r.resumedFrom(), 1e3 * r.stepSeconds() / k, 1e3 * r.exchangeSeconds() / k, r.payloadBytes() / 1e6,
                    r.sentBytes() / 1e6 / k, r.receivedBytes() / 1e6 / k, r.calls());
        }
        ReplicaReport r0 = reports.get(0);
        out.printf("%nresult after %d steps: validation loss %.4f nats/token (perplexity %.2f), accuracy %.4f;"
                + " %,.0f tokens/s across %d workers (%.1f s for the job)%n", r0.steps(), r0.valLoss(), Math.exp(r0.valLoss()),
                r0.valAccuracy(), r0.stepSeconds() > 0 ? r0.tokens() / r0.stepSeconds() : Double.NaN, workers, wall);
        return reports;
    }

    /** The arguments with the values of --out, --text and --tokenizer made absolute. */
    static String[] absolutePaths(String[] args) {
        String[] out = args.clone();
        for (int i = 0; i + 1 < out.length; i++) {
            if (out[i].equals("--out") || out[i].equals("--text") || out[i].equals("--tokenizer")) {
                out[i + 1] = Path.of(out[i + 1]).toAbsolutePath().normalize().toString();
                i++;
            }
        }
        return out;
    }

    /** One replica of the run: the model, optimizer, schedule and loop of {@link Pretrain}, on a shard. */
    private record GptReplica(String[] pretrainArgs, int vocab, long valStart) implements ReplicaTask<ReplicaReport> {
        @Override
        public ReplicaReport run(Replica replica) throws IOException {
            Backend.init();
            PretrainOptions o = PretrainOptions.parse(pretrainArgs);
            TokenFile tokens = TokenFile.open(o.out().resolve("tokens.bin"));
            List<Batch> validation = Sequential.windows(tokens, valStart, tokens.size(), o.batch(), o.context(),
                    o.evalBatches());
            GptModel gpt = new GptModel(new GptConfig(vocab, o.context(), o.embd(), o.layers(), o.heads(), o.dropout(), 1e-5),
                    new Rng(o.seed()), DataType.FLOAT);
            WindowSampler train = new WindowSampler(tokens, 0, valStart, o.batch(), o.context(), o.seed() + 1,
                    replica.rank(), replica.replicas());
            AdamW opt = new AdamW(gpt.namedParameters(), AdamWConfig.lm(o.lr()));
            LrSchedule schedule = LrSchedule.cosine(o.lr(), o.lr() / 10, o.warmup(), o.steps());
            TrainerConfig cfg = new TrainerConfig(o.steps(), o.accum(), o.evalEvery(), o.ckptEvery(), 1.0, 0, 0, 0,
                    CrossEntropyOptions.defaults());
            CheckpointStore store = new CheckpointStore(o.out().resolve("checkpoints"), 2);
            GradientExchange exchange = new GradientExchange(replica.collective(), gpt.namedParameters());
            Trainer trainer = new Trainer(cfg, gpt, opt, schedule, b -> gpt.forward(b.inputs(), b.attentionMask()), train,
                    validation, gpt.namedRngs(), store, exchange);
            trainer.addListener(replica.progress(exchange));
            double[] seconds = {0};
            long[] stepsAndTokens = {0, 0};
            trainer.addListener(new TrainingListener() {
                @Override
                public void onStep(StepMetrics m) {
                    seconds[0] += m.seconds();
                    stepsAndTokens[0]++;
                    stepsAndTokens[1] += (long) o.batch() * o.context() * o.accum();
                    if (o.stopAfter() > 0 && m.step() >= o.stopAfter()) {
                        trainer.requestStop(); // at the same step on every replica
                    }
                }
            });
            long resumedFrom = 0;
            if (o.resume() || replica.attempt() > 0) {
                resumedFrom = trainer.resume().orElse(0L);
            }
            long exchangeNanos0 = exchange.nanos();
            TrainingResult result = trainer.step() < o.steps() ? trainer.run() : null;
            EvalMetrics eval = result != null && result.lastEval() != null && result.lastEval().step() == trainer.step()
                    ? result.lastEval()
                    : trainer.evaluate();
            long sent = 0;
            long received = 0;
            long calls = 0;
            if (replica.collective() instanceof SparkBarrierCollective c) {
                sent = c.bytesSent();
                received = c.bytesReceived();
                calls = c.calls();
            }
            return new ReplicaReport(replica.rank(), trainer.step(), stepsAndTokens[0], seconds[0],
                    (exchange.nanos() - exchangeNanos0) / 1e9, exchange.payloadBytes(), sent, received, calls,
                    stepsAndTokens[1], eval.loss(), eval.accuracy(), resumedFrom);
        }

        @Override
        public String toString() {
            return "GptReplica" + Arrays.toString(pretrainArgs);
        }
    }
}
