package dev.tessera.training.distributed;

import dev.tessera.attention.model.GptConfig;
import dev.tessera.attention.model.GptModel;
import dev.tessera.core.Rng;
import dev.tessera.nn.Parameter;
import dev.tessera.training.Flat;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.data.TokenFile;
import dev.tessera.training.data.WindowSampler;
import dev.tessera.training.loop.StepMetrics;
import dev.tessera.training.loop.Trainer;
import dev.tessera.training.loop.TrainerConfig;
import dev.tessera.training.loop.TrainingListener;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import dev.tessera.training.optim.LrSchedule;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A few AdamW steps of a tiny GPT (vocabulary 32, width 16, one block, T 8) on a token file, as one
 * process or as one replica of a data-parallel run; what the distributed tests compare.
 *
 * @param tokens the token file's path
 * @param checkpoints the checkpoint root, or null for none
 * @param failRank the rank whose step {@code failStep} throws (an injected failure), or -1
 * @param failAttempts the failure is injected in stage attempts 0 .. failAttempts − 1
 */
record TinyRun(String tokens, String checkpoints, DataType dtype, int steps, int globalBatch, int accum, double clip,
        long checkpointEvery, int failRank, long failStep, int failAttempts) implements ReplicaTask<TinyRun.Result> {
    static final int T = 8;

    /**
     * @param params every parameter, flattened in name order
     * @param norms each step's global gradient norm (before clipping)
     * @param resumedFrom the step restored at the start (0: none)
     * @param checkpointsWritten checkpoints this replica wrote
     */
    record Result(int rank, double[] params, double[] norms, double[] losses, long resumedFrom, int checkpointsWritten)
            implements Serializable {}

    TinyRun withCheckpoints(String dir, int rank, long step, int attempts) {
        return new TinyRun(tokens, dir, dtype, steps, globalBatch, accum, clip, checkpointEvery, rank, step, attempts);
    }

    @Override
    public Result run(Replica replica) throws IOException {
        return train(replica.collective(), replica, replica.attempt());
    }

    /** Trains with {@code collective} (null: one process, no exchange) in stage attempt {@code attempt}. */
    Result train(Collective collective, Replica replica, int attempt) throws IOException {
        TokenFile file = TokenFile.open(Path.of(tokens));
        GptModel gpt = new GptModel(new GptConfig(32, T, 16, 1, 2, 0.0, 1e-5), new Rng(7), dtype);
        AdamW opt = new AdamW(gpt.namedParameters(), AdamWConfig.lm(1e-2));
        LrSchedule schedule = LrSchedule.cosine(1e-2, 1e-3, 2, steps);
        TrainerConfig cfg = TrainerConfig.simple(steps).withGradAccumSteps(accum).withClipNorm(clip)
                .withCheckpointEvery(checkpointEvery);
        int rank = collective == null ? 0 : collective.rank();
        int replicas = collective == null ? 1 : collective.worldSize();
        WindowSampler sampler = new WindowSampler(file, 0, file.size(), globalBatch, T, 11, rank, replicas);
        CheckpointStore store = checkpoints == null ? null : new CheckpointStore(Path.of(checkpoints), 3);
        GradientExchange exchange = collective == null ? null : new GradientExchange(collective, gpt.namedParameters());
        Trainer trainer = new Trainer(cfg, gpt, opt, schedule, b -> gpt.forward(b.inputs()), sampler, List.of(),
                gpt.namedRngs(), store, exchange);
        List<Double> norms = new ArrayList<>();
        List<Double> losses = new ArrayList<>();
        int[] written = {0};
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                norms.add(m.gradNorm());
                losses.add(m.loss());
                if (rank == failRank && m.step() == failStep && attempt < failAttempts) {
                    throw new IllegalStateException("injected failure of rank " + rank + " at step " + m.step()
                            + " in attempt " + attempt);
                }
            }

            @Override
            public void onCheckpoint(long step, Path dir) {
                written[0]++;
            }
        });
        if (replica != null) {
            trainer.addListener(replica.progress(exchange));
        }
        long resumedFrom = store == null ? 0 : trainer.resume().orElse(0L);
        trainer.run();
        List<Double> flat = new ArrayList<>();
        for (Parameter p : gpt.namedParameters().values()) {
            for (double x : Flat.doubles(p.data())) {
                flat.add(x);
            }
        }
        return new Result(rank, flat.stream().mapToDouble(Double::doubleValue).toArray(),
                norms.stream().mapToDouble(Double::doubleValue).toArray(),
                losses.stream().mapToDouble(Double::doubleValue).toArray(), resumedFrom, written[0]);
    }

    /** A token file of {@code n} tokens in [0, 32) with some structure (so the loss can fall) and noise. */
    static Path writeTokens(Path dir, int n) throws IOException {
        Path p = dir.resolve("tokens.bin");
        Rng rng = new Rng(3);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = rng.nextDouble() < 0.2 ? (int) (rng.nextDouble() * 32) : (i * 7 + i / 5) % 32;
        }
        try (TokenFile.Writer w = TokenFile.writer(p, 32)) {
            w.append(t);
            w.commit();
        }
        return p;
    }
}
