package dev.tessera.training.loop;

import dev.tessera.backend.StepWorkspace;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.host.HostMemory;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.training.checkpoint.Checkpoint;
import dev.tessera.training.checkpoint.CheckpointStore;
import dev.tessera.training.checkpoint.TrainingState;
import dev.tessera.training.data.Batch;
import dev.tessera.training.data.BatchSource;
import dev.tessera.training.data.DataSource;
import dev.tessera.training.distributed.GradientExchange;
import dev.tessera.training.optim.LrSchedule;
import dev.tessera.training.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training loop, for any {@link Objective}: language-model cross-entropy
 * ({@link CrossEntropyObjective}), supervised fine-tuning, a reward model's ranking loss, DPO.
 * Each step: set the scheduled learning rate, draw {@code gradAccumSteps} micro-batches from the
 * {@link DataSource}, ask the objective for their counts N (valid tokens, groups, pairs), run
 * the objective's forward + loss (normalised by N) + backward per micro-batch, check the loss and
 * every gradient for NaN/Inf, clip, take the optimizer step. Evaluation, early stopping,
 * checkpoints and listeners run between steps.
 *
 * <p>By default each step frees its memory as soon as it is dead ({@link #freeStepMemory(boolean)}:
 * {@code backwardAndFree}, gradients freed after the update), so Tessera's memory pool serves the
 * next step from the same warm blocks; same results bit for bit.
 *
 * <p>Opt-in, {@link #reuseStepMemory(boolean)}: with one micro-batch per step
 * ({@code gradAccumSteps == 1}) the forward pass runs inside a {@link StepWorkspace}, so its native
 * buffers are reused from step to step instead of allocated anew (same results bit for bit;
 * backward and the update allocate as usual). Off by default because it raises peak memory: on the
 * GPT benchmark (B 8 × T 256) peak RSS was 1.46–1.48 GB with it against 1.26–1.27 GB without.
 *
 * <p>Exact resume: a checkpoint holds the weights, the optimizer state, the step, the named
 * {@link Rng}s' states and the training source's position, so {@link #resume()} followed by
 * {@link #run()} reproduces the uninterrupted run bit for bit.
 *
 * <p>A non-finite validation loss stops the run the same way under {@link OnNonFinite#STOP}
 * (the step before it was applied, but nothing is checkpointed), and counts as an evaluation
 * without improvement under {@link OnNonFinite#SKIP_STEP}.
 *
 * <p>On NaN/Inf in the loss or the global gradient norm nothing of the step is applied. With
 * {@link OnNonFinite#STOP} (the default) the loop stops, so the weights in memory are those of
 * the last good step, reports the step and the tensor (the loss, or the first parameter whose
 * gradient is not finite), and does not checkpoint: the last good checkpoint stays the newest.
 * With {@link OnNonFinite#SKIP_STEP} it drops the step's gradients, logs a warning and goes on;
 * the skipped step still counts towards {@code maxSteps} (its batches and learning rate are
 * used up), and {@link #skippedSteps()} counts it.
 *
 * <p>Data parallel: with a {@link GradientExchange} each replica runs this loop on its shard of the
 * global batch; the step's valid-target count is summed over the replicas before the backward
 * passes and the gradients and loss after them, so clipping, the non-finite check and the
 * optimizer step see the global gradient on every replica. Only rank 0 writes checkpoints; every
 * rank restores them. A {@link #requestStop()} must reach every replica at the same step.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final String BEST = "best_eval_loss";
    private static final String BAD_EVALS = "evals_without_improvement";
    private static final String SKIPPED = "skipped_steps";

    private final TrainerConfig config;
    private final Module model;
    private final Map<String, Parameter> params;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final Objective<Object> objective;
    private final DataSource<Object> train;
    private final List<Object> validation;
    private final Map<String, Rng> rngs;
    private final CheckpointStore store;
    private final GradientExchange exchange;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private long step;
    private boolean reuseStepMemory;
    private boolean freeStepMemory = true;
    private double bestEval = Double.POSITIVE_INFINITY;
    private int badEvals;
    private long skippedSteps;
    private EvalMetrics lastEval;
    private volatile boolean stopRequested;

    /**
     * Next-token (or masked-token) cross-entropy of {@code forward}'s logits against the batches'
     * targets, with {@code config.loss()}'s options: a {@link CrossEntropyObjective}.
     *
     * @param validation fixed validation batches (may be empty when {@code evalEvery} is 0)
     * @param rngs every random generator the forward pass or the data draw from (saved in checkpoints)
     * @param store where checkpoints go, or null for none
     */
    public Trainer(TrainerConfig config, Module model, Optimizer optimizer, LrSchedule schedule, ForwardFunction forward,
            BatchSource train, List<Batch> validation, Map<String, Rng> rngs, CheckpointStore store) {
        this(config, model, optimizer, schedule, forward, train, validation, rngs, store, null);
    }

    /**
     * One replica of a data-parallel cross-entropy run.
     *
     * @param train this replica's shard of the global batches (e.g. a sharded {@code WindowSampler})
     * @param store where rank 0 writes checkpoints and every rank restores them from, or null
     * @param exchange sums counts, gradients and loss over the replicas; null for a single process
     */
    public Trainer(TrainerConfig config, Module model, Optimizer optimizer, LrSchedule schedule, ForwardFunction forward,
            BatchSource train, List<Batch> validation, Map<String, Rng> rngs, CheckpointStore store,
            GradientExchange exchange) {
        this(config, model, optimizer, schedule, crossEntropy(forward, config), train, validation, rngs, store, exchange);
    }

    /**
     * A run of {@code objective} on batches from {@code train} ({@code config.loss()} is not used:
     * the objective owns its loss).
     *
     * @param model the module whose parameters are trained and checkpointed
     * @param validation fixed validation batches (may be empty when {@code evalEvery} is 0)
     * @param rngs every random generator the forward pass or the data draw from (saved in checkpoints)
     * @param store where checkpoints go, or null for none
     * @param exchange sums counts, gradients and loss over data-parallel replicas; null for a single process
     * @param <B> the batch type
     */
    public <B> Trainer(TrainerConfig config, Module model, Optimizer optimizer, LrSchedule schedule, Objective<B> objective,
            DataSource<B> train, List<B> validation, Map<String, Rng> rngs, CheckpointStore store,
            GradientExchange exchange) {
        this(config, model, model == null ? null : model.namedParameters(), optimizer, schedule, objective, train, validation,
                rngs, store, exchange);
    }

    /**
     * A run of {@code objective} that trains only {@code trainable} (e.g. the low-rank adapters of
     * a model whose base weights are frozen): gradient clipping and the non-finite check look at
     * these alone, and {@code optimizer} must be built over them.
     *
     * @param model the module that runs in train/eval mode and is checkpointed
     * @param trainable the parameters the optimizer updates; with a {@code store} they must all be
     *     {@code model}'s own, so that a checkpoint holds them
     * @param <B> the batch type
     */
    @SuppressWarnings("unchecked")
    public <B> Trainer(TrainerConfig config, Module model, Map<String, Parameter> trainable, Optimizer optimizer,
            LrSchedule schedule, Objective<B> objective, DataSource<B> train, List<B> validation, Map<String, Rng> rngs,
            CheckpointStore store, GradientExchange exchange) {
        if (config == null || model == null || optimizer == null || schedule == null || objective == null || train == null) {
            throw new IllegalArgumentException("config, model, optimizer, schedule, objective and train must not be null");
        }
        if (trainable == null || trainable.isEmpty()) {
            throw new IllegalArgumentException("trainable must name at least one parameter but was "
                    + (trainable == null ? "null" : "empty"));
        }
        if (store != null) {
            // a checkpoint saves model's state dict: a trained parameter outside it would be lost on resume
            Set<Parameter> own = Collections.newSetFromMap(new IdentityHashMap<>());
            own.addAll(model.namedParameters().values());
            for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
                if (!own.contains(e.getValue())) {
                    throw new IllegalArgumentException("trainable parameter '" + e.getKey() + "' is not one of the model's"
                            + " own parameters, so a checkpoint in " + store.root() + " would not hold it; expected a subset"
                            + " of the model's " + own.size() + " parameters (or no store)");
                }
            }
        }
        if (config.evalEvery() > 0 && (validation == null || validation.isEmpty())) {
            throw new IllegalArgumentException("evalEvery is " + config.evalEvery() + " but there are no validation batches");
        }
        this.config = config;
        this.model = model;
        this.params = new LinkedHashMap<>(trainable);
        this.optimizer = optimizer;
        this.schedule = schedule;
        // one B throughout: the objective only ever sees batches of the source and the validation list
        this.objective = (Objective<Object>) objective;
        this.train = (DataSource<Object>) train;
        this.validation = validation == null ? List.of() : List.copyOf(validation);
        this.rngs = rngs == null ? Map.of() : new LinkedHashMap<>(rngs);
        this.store = store;
        this.exchange = exchange;
    }

    private static Objective<Batch> crossEntropy(ForwardFunction forward, TrainerConfig config) {
        if (forward == null || config == null) {
            throw new IllegalArgumentException("config, model, optimizer, schedule, forward and train must not be null");
        }
        return new CrossEntropyObjective(forward, config.loss());
    }

    /**
     * Whether each step's forward pass takes its native buffers from the reused
     * {@link StepWorkspace} (default false). Applies only with {@code gradAccumSteps == 1}: with
     * accumulation several forward passes would pile up in the block. Saves the per-array native
     * allocation of the forward pass (profiled as a sixth to a third of a GPT step, most of it in the
     * forward pass's activations) at the cost of peak memory (see the class comment). With it on,
     * the forward function must not keep arrays it creates beyond the step (build caches up front,
     * or through {@link StepWorkspace#outside}), and {@link #run()} must not be called inside an
     * open step workspace.
     *
     * @return this trainer
     */
    public Trainer reuseStepMemory(boolean on) {
        this.reuseStepMemory = on;
        return this;
    }

    /**
     * Whether each step frees its memory as soon as it is dead (default true): the backward pass
     * runs as {@code Tensor.backwardAndFree()}, and the parameters' gradients are freed after the
     * optimizer step, so that Tessera's memory pool hands the same warm pages to the next step
     * instead of the step waiting for fresh memory while the old waits for the garbage collector.
     * Same results bit for bit. Turn it off only for a forward function whose intermediate tensors
     * are read after the backward pass.
     *
     * @return this trainer
     */
    public Trainer freeStepMemory(boolean on) {
        this.freeStepMemory = on;
        return this;
    }

    public void addListener(TrainingListener l) {
        listeners.add(l);
    }

    /**
     * Asks the loop to stop after the current step (thread-safe; e.g. from a time limit or a
     * shutdown hook). The run ends with {@link StopReason#STOP_REQUESTED} and a checkpoint.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Steps completed (including skipped ones). */
    public long step() {
        return step;
    }

    /** Steps whose non-finite loss or gradient was dropped under {@link OnNonFinite#SKIP_STEP} (restored on resume). */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * Restores the newest valid checkpoint of the store, if any.
     *
     * @return the restored step, or empty when there was nothing to resume
     */
    public Optional<Long> resume() throws IOException {
        if (store == null) {
            return Optional.empty();
        }
        Optional<Checkpoint> c = store.latest();
        if (c.isEmpty()) {
            return Optional.empty();
        }
        restore(c.get());
        return Optional.of(step);
    }

    /**
     * Restores a loaded checkpoint (weights, optimizer, step, random states, data position,
     * early-stopping state). All or nothing: when any part is rejected (a weight's shape, a NaN
     * optimizer moment, a bad random state or data position) the trainer is left exactly as it was.
     */
    public void restore(Checkpoint c) {
        TrainingState s = c.state();
        for (String name : rngs.keySet()) {
            if (!s.rngStates().containsKey(name)) {
                throw new IllegalArgumentException("checkpoint " + c.dir() + " lacks the state of rng '" + name + "'");
            }
        }
        if (!s.dataPositions().containsKey("train")) {
            throw new IllegalArgumentException("checkpoint " + c.dir() + " lacks the training data position");
        }
        // what the restore overwrites, to roll back to if a later part is rejected
        Map<String, INDArray> weights = new LinkedHashMap<>();
        model.stateDict().forEach((name, w) -> weights.put(name, w.dup()));
        Map<String, INDArray> optimizerState = optimizer.stateDict();
        Map<String, long[]> rngStates = new LinkedHashMap<>();
        rngs.forEach((name, r) -> rngStates.put(name, r.state()));
        long[] position = train.position();
        try {
            CheckpointStore.restore(c, model, optimizer);
            rngs.forEach((name, r) -> r.setState(s.rngStates().get(name)));
            train.setPosition(s.dataPositions().get("train"));
        } catch (RuntimeException e) {
            model.loadStateDict(weights, true);
            optimizer.loadStateDict(optimizerState);
            rngs.forEach((name, r) -> r.setState(rngStates.get(name)));
            train.setPosition(position);
            throw e;
        }
        step = s.step();
        bestEval = s.scalars().getOrDefault(BEST, Double.POSITIVE_INFINITY);
        badEvals = s.scalars().getOrDefault(BAD_EVALS, 0.0).intValue();
        skippedSteps = s.scalars().getOrDefault(SKIPPED, 0.0).longValue();
        LOG.info("resumed from {} at step {}", c.dir(), step);
    }

    /** Runs until maxSteps, early stopping or a non-finite value. */
    public TrainingResult run() throws IOException {
        // steps that free their memory take it from the pool, warm (see freeStepMemory)
        boolean pooled = HostMemory.setPooling(freeStepMemory);
        try {
            return runSteps();
        } finally {
            HostMemory.setPooling(pooled);
        }
    }

    private TrainingResult runSteps() throws IOException {
        model.train(true);
        TrainingResult result = null;
        while (result == null && step < config.maxSteps()) {
            long t0 = System.nanoTime();
            double lr = schedule.lr(step);
            optimizer.setLearningRate(lr);
            List<Object> micro = new ArrayList<>(config.gradAccumSteps());
            long valid = 0;
            for (int i = 0; i < config.gradAccumSteps(); i++) {
                Object b = train.next();
                micro.add(b);
                valid += objective.count(b);
            }
            if (exchange != null) {
                valid = exchange.sumCount(valid);
            }
            double normalizer = Math.max(1, valid);
            double loss = 0;
            String bad = null;
            Map<String, MetricSum> metrics = new LinkedHashMap<>();
            // Opt-in: with one micro-batch the forward pass's arrays live in the reused step memory;
            // the backward pass allocates outside it (its gradients are freed as they propagate).
            StepWorkspace ws = reuseStepMemory && micro.size() == 1 ? StepWorkspace.open() : null;
            try {
                for (Object b : micro) {
                    BatchLoss r = objective.compute(b, normalizer);
                    double l = r.loss().item();
                    bad = StepGuard.lossProblem(l);
                    if (bad != null) {
                        break;
                    }
                    loss += l;
                    r.metrics().forEach((name, m) -> metrics.merge(name, m, MetricSum::plus));
                    if (r.loss().requiresGrad()) {
                        // freeing the graph as backward goes hands its memory back to the pool, warm for
                        // the next step (unless freeStepMemory(false))
                        Runnable backward = freeStepMemory ? () -> r.loss().backwardAndFree() : () -> r.loss().backward();
                        if (ws != null) {
                            StepWorkspace.runOutside(backward);
                        } else {
                            backward.run();
                        }
                    }
                }
            } finally {
                if (ws != null) {
                    ws.close(); // the forward's arrays are invalid from here on; gradients live outside
                }
            }
            if (exchange != null) {
                // every replica joins the exchange, a failed one with NaN, so that all stop together
                double global = exchange.sumGradients(bad == null ? loss : Double.NaN);
                if (bad == null && !Double.isFinite(global)) {
                    bad = "loss (" + global + ", summed over the replicas)";
                }
                loss = global;
            }
            double norm = Double.NaN;
            if (bad == null) {
                StepGuard.Verdict v = StepGuard.clip(params, config.clipNorm());
                norm = v.gradNorm();
                bad = v.problem();
            }
            if (bad != null && config.onNonFinite() == OnNonFinite.STOP) {
                optimizer.zeroGrad();
                String msg = "non-finite " + bad + " at step " + (step + 1) + "; stopped before applying it"
                        + (store == null ? "" : ", the last good checkpoint in " + store.root() + " is kept");
                LOG.error(msg);
                result = new TrainingResult(StopReason.NON_FINITE, step, msg, lastEval);
                break;
            }
            if (bad != null) {
                optimizer.zeroGrad();
                step++;
                skippedSteps++;
                LOG.warn("non-finite {} at step {}; step skipped ({} skipped so far)", bad, step, skippedSteps);
            } else {
                optimizer.step();
                if (freeStepMemory) {
                    params.values().forEach(Parameter::freeGrad); // the step has used them
                }
                optimizer.zeroGrad();
                step++;
                StepMetrics m = new StepMetrics(step, config.maxSteps(), loss, lr, norm, valid, (System.nanoTime() - t0) / 1e9,
                        means(metrics));
                if (config.logEvery() > 0 && step % config.logEvery() == 0) {
                    LOG.info("step {}/{} loss {} lr {} grad-norm {} tokens/s {}", step, config.maxSteps(),
                            String.format("%.4f", loss), String.format("%.3g", lr), String.format("%.3g", norm),
                            String.format("%.0f", m.tokensPerSecond()));
                }
                for (TrainingListener l : listeners) {
                    l.onStep(m);
                }
            }
            boolean last = step == config.maxSteps();
            if (config.evalEvery() > 0 && (step % config.evalEvery() == 0 || last)) {
                EvalMetrics e = evaluate();
                if (!Double.isFinite(e.loss()) && e.tokens() > 0) {
                    // not "no improvement": the model has diverged on the validation set
                    String msg = "non-finite validation loss (" + e.loss() + ") after step " + step;
                    if (config.onNonFinite() == OnNonFinite.STOP) {
                        msg += "; stopped without checkpointing"
                                + (store == null ? "" : ", the last checkpoint in " + store.root() + " is kept");
                        LOG.error(msg);
                        result = new TrainingResult(StopReason.NON_FINITE, step, msg, lastEval);
                        break;
                    }
                    LOG.warn("{}; counted as an evaluation without improvement", msg);
                }
                if (e.loss() < bestEval - config.minDelta()) {
                    bestEval = e.loss();
                    badEvals = 0;
                } else {
                    badEvals++;
                }
                if (config.patience() > 0 && badEvals >= config.patience()) {
                    result = new TrainingResult(StopReason.EARLY_STOPPED, step, "validation loss did not improve on "
                            + bestEval + " for " + badEvals + " evaluations", lastEval);
                }
            }
            if (result == null && stopRequested) {
                result = new TrainingResult(StopReason.STOP_REQUESTED, step, "stop requested after step " + step, lastEval);
            }
            if (store != null && writesCheckpoints()
                    && ((config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0) || last || result != null)) {
                checkpoint();
            }
        }
        if (result == null) {
            result = new TrainingResult(StopReason.COMPLETED, step, "completed " + step + " steps"
                    + (skippedSteps == 0 ? "" : " (" + skippedSteps + " skipped for non-finite values)"), lastEval);
        }
        LOG.info("training stopped: {}", result.message());
        for (TrainingListener l : listeners) {
            l.onStop(result);
        }
        return result;
    }

    /**
     * The objective's mean loss (Σ loss / Σ count) and metrics over the validation batches,
     * without recording a graph and with dropout off.
     */
    public EvalMetrics evaluate() {
        model.eval();
        double sum = 0;
        long count = 0;
        Map<String, MetricSum> metrics = new LinkedHashMap<>();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (Object b : validation) {
                BatchLoss r = objective.compute(b, Math.max(1, objective.count(b)));
                sum += r.sum();
                count += r.count();
                r.metrics().forEach((name, m) -> metrics.merge(name, m, MetricSum::plus));
            }
        } finally {
            model.train(true);
        }
        Map<String, Double> means = means(metrics);
        lastEval = new EvalMetrics(step, count == 0 ? Double.NaN : sum / count, means.getOrDefault("accuracy", Double.NaN),
                count, means);
        LOG.info("eval at step {}: loss {} {}", step, String.format("%.4f", lastEval.loss()), means);
        for (TrainingListener l : listeners) {
            l.onEval(lastEval);
        }
        return lastEval;
    }

    private static Map<String, Double> means(Map<String, MetricSum> sums) {
        Map<String, Double> out = new LinkedHashMap<>();
        sums.forEach((name, m) -> out.put(name, m.mean()));
        return out;
    }

    /** Saves a checkpoint of the current state (requires a store). */
    public Path checkpoint() throws IOException {
        if (store == null) {
            throw new IllegalStateException("no checkpoint store configured");
        }
        Map<String, long[]> rngStates = new LinkedHashMap<>();
        rngs.forEach((name, r) -> rngStates.put(name, r.state()));
        Map<String, Double> scalars = new LinkedHashMap<>();
        if (Double.isFinite(bestEval)) {
            scalars.put(BEST, bestEval);
        }
        scalars.put(BAD_EVALS, (double) badEvals);
        if (skippedSteps > 0) {
            scalars.put(SKIPPED, (double) skippedSteps);
        }
        Path dir = store.save(model, optimizer, new TrainingState(step, rngStates, Map.of("train", train.position()), scalars));
        for (TrainingListener l : listeners) {
            l.onCheckpoint(step, dir);
        }
        return dir;
    }

    /** A single process, or rank 0 of a data-parallel run, writes the checkpoints. */
    private boolean writesCheckpoints() {
        return exchange == null || exchange.collective().rank() == 0;
    }
}
