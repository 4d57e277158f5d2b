package dev.tessera.core;

import dev.tessera.backend.Backend;
import dev.tessera.host.HostMemory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;

/**
 * An n-dimensional value over an ND4J {@link INDArray} with eager reverse-mode autograd.
 *
 * <p>Every op computes its value immediately with ND4J (or a fused kernel) and, when gradients
 * are enabled ({@link GradMode}) and some input requires a gradient, records a node whose
 * {@link Backward} adds ({@code +=}) into its inputs' gradients. {@link #backward()} walks the
 * recorded nodes in reverse topological order. Leaf tensors that require gradients
 * ({@link dev.tessera.nn.Parameter}s, or {@link #variable}) keep their accumulated gradient in {@link #grad()}
 * until {@link #zeroGrad()}; gradients of intermediate tensors are released once propagated.
 *
 * <pre>{@code
 * Tensor w = Tensor.variable(Nd4j.rand(DataType.FLOAT, 3, 2));
 * Tensor x = Tensor.constant(Nd4j.rand(DataType.FLOAT, 4, 3));
 * Tensor loss = x.matmul(w).tanh().sum();   // scalar
 * loss.backward();                          // w.grad() now holds dloss/dw, shape (3, 2)
 * }</pre>
 *
 * <p>Shapes are never broadcast silently: {@link #add(Tensor)} and the other binary ops require
 * equal shapes and throw otherwise; broadcasting is asked for explicitly with
 * {@link #addBroadcast(Tensor)} and friends. Float32 is the default dtype; float64 is supported
 * throughout for gradient checks. Mixing dtypes in one op is an error.
 */
public class Tensor {
    static {
        // Pick the native build (AVX2/AVX-512, MKL) before anything in Tessera touches ND4J.
        Backend.init();
    }

    private final INDArray data;
    private final boolean requiresGrad;
    private final Tensor[] inputs;
    private final Backward backward;
    private final String op;
    /**
     * Whether {@link #backward} only reads the gradient it is given (never writes into it, keeps
     * it, or hands it or a view of it on as an input's gradient): then {@link #backward(INDArray)}
     * on this tensor passes the caller's array straight in instead of copying it first.
     */
    private final boolean readsGradientOnly;
    private INDArray grad;
    /** Set when {@link #backwardAndFree} released this intermediate tensor's value. */
    private boolean released;

    /** A leaf; {@code requiresGrad} leaves accumulate gradients (subclassed by {@code Parameter}). */
    protected Tensor(INDArray data, boolean requiresGrad) {
        this(data, requiresGrad, requiresGrad ? "variable" : "constant", null, null, false);
    }

    Tensor(INDArray data, boolean requiresGrad, String op, Backward backward, Tensor[] inputs,
            boolean readsGradientOnly) {
        Require.nonNull("data", data);
        this.data = data;
        this.requiresGrad = requiresGrad;
        this.op = op;
        this.backward = backward;
        this.inputs = inputs;
        this.readsGradientOnly = readsGradientOnly;
    }

    // ---------------------------------------------------------------- factories

    /** A tensor that never requires a gradient (inputs, targets, masks). */
    public static Tensor constant(INDArray data) {
        return new Tensor(data, false, "constant", null, null, false);
    }

    /** A leaf tensor that accumulates a gradient (use {@link dev.tessera.nn.Parameter} for module weights). */
    public static Tensor variable(INDArray data) {
        return new Tensor(data, true, "variable", null, null, false);
    }

    /** A float32 constant of the given shape filled with {@code values} (row-major). */
    public static Tensor of(float[] values, long... shape) {
        return constant(Nd4j.create(values, shape, 'c'));
    }

    /** A float64 constant of the given shape filled with {@code values} (row-major). */
    public static Tensor of(double[] values, long... shape) {
        return constant(Nd4j.create(values, shape, 'c'));
    }

    /** A scalar (rank 0) constant of the given dtype. */
    public static Tensor scalar(double value, DataType dtype) {
        return constant(Nd4j.scalar(dtype, value));
    }

    /** A zero-filled constant. */
    public static Tensor zeros(DataType dtype, long... shape) {
        return constant(Nd4j.zeros(dtype, shape));
    }

    /**
     * Whether an op over {@code inputs} would be recorded by {@link #fromOp}: gradients are enabled
     * and an input requires one. Ops ask first when what their backward keeps (saved statistics, a
     * copy of a weight) could otherwise come from reused memory.
     */
    static boolean records(Tensor... inputs) {
        if (!GradMode.isEnabled()) {
            return false;
        }
        for (Tensor t : inputs) {
            if (t.requiresGrad) {
                return true;
            }
        }
        return false;
    }

    /**
     * Records the result of an op. Used by fused ops in every module: {@code backward} receives
     * the gradient of the output and must add into the inputs with {@link #accumulateGrad}.
     * When gradients are disabled, or no input requires one, the result is a constant and no
     * closure is kept.
     *
     * @param op a short name for error messages and {@link #toString()}
     * @param value the op's output
     * @param backward the op's backward function
     * @param inputs the op's tensor inputs
     */
    public static Tensor fromOp(String op, INDArray value, Backward backward, Tensor... inputs) {
        return record(op, value, backward, inputs, false);
    }

    /**
     * {@link #fromOp} for an op whose backward only reads its incoming gradient: it never writes
     * into it, keeps it past the call, or hands it (or a view of it) to an input, it only computes
     * fresh input gradients from it. {@code y.backward(g)} on such a node then reads the caller's
     * {@code g} in place, as PyTorch does, instead of first copying it into the node's gradient
     * (one whole-tensor copy less for an activation's forward + backward).
     */
    static Tensor fromOpReadingGradient(String op, INDArray value, Backward backward, Tensor... inputs) {
        return record(op, value, backward, inputs, true);
    }

    private static Tensor record(String op, INDArray value, Backward backward, Tensor[] inputs,
            boolean readsGradientOnly) {
        if (records(inputs)) {
            return new Tensor(value, true, op, backward, inputs.clone(), readsGradientOnly);
        }
        return new Tensor(value, false, op, null, null, false);
    }

    // ---------------------------------------------------------------- accessors

    /**
     * The value. Callers must not modify it in place if it takes part in a recorded graph.
     *
     * @throws IllegalStateException when the value was freed ({@link #backwardAndFree})
     */
    public INDArray data() {
        if (released || data.wasClosed()) {
            throw new IllegalStateException("the value of '" + op + "' " + Arrays.toString(data.shape())
                    + " was freed by backwardAndFree() (or HostMemory.release); keep what you need before it");
        }
        return data;
    }

    /** Whether this tensor's value was freed ({@link #backwardAndFree}, {@code HostMemory.release}). */
    public boolean isFreed() {
        return released || data.wasClosed();
    }

    /** The accumulated gradient (same shape as {@link #data()}), or {@code null} if none yet. */
    public INDArray grad() {
        return grad;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True for tensors not produced by a recorded op. */
    public boolean isLeaf() {
        return backward == null;
    }

    /** The name of the op that produced this tensor ("constant", "variable", "matmul", ...). */
    public String op() {
        return op;
    }

    /** A fresh copy of the shape (ND4J caches its shape array; mutating that would corrupt the array). */
    public long[] shape() {
        return data.shape().clone();
    }

    public int rank() {
        return data.rank();
    }

    /** Size of dimension {@code dim}; negative dims count from the end. */
    public long size(int dim) {
        return data.size(Checks.axis("dim", dim, rank()));
    }

    public long length() {
        return data.length();
    }

    public DataType dtype() {
        return data.dataType();
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (data.length() != 1) {
            throw new IllegalStateException(
                    "item() needs a tensor with exactly one element, but shape is " + Arrays.toString(shape()));
        }
        return data.getDouble(0);
    }

    /** A constant sharing this tensor's value, cut off from the graph. */
    public Tensor detach() {
        return constant(data);
    }

    /** Clears the accumulated gradient. */
    public void zeroGrad() {
        grad = null;
    }

    /**
     * Clears the accumulated gradient and frees its memory now (back to the pool it came from)
     * instead of when the collector finds it. The caller guarantees that nobody still uses the
     * array {@link #grad()} returned (an optimizer that has taken its step does not).
     */
    public void freeGrad() {
        INDArray g = grad;
        grad = null;
        if (g != null) {
            HostMemory.release(g);
        }
    }

    /**
     * Adds {@code g} into this tensor's gradient (a no-op when it does not require one). The
     * array is copied when it becomes the first gradient, so callers may pass arrays they still
     * use (for example the incoming gradient itself).
     */
    public void accumulateGrad(INDArray g) {
        if (!requiresGrad) {
            return;
        }
        checkGradShape(g);
        if (grad == null) {
            grad = HostMemory.copy(g); // from the pool where it is on: backwardAndFree hands it back
        } else {
            grad.addi(g);
        }
    }

    /**
     * Adds {@code g} into the region {@code index} of this tensor's gradient (zeros elsewhere): the
     * backward of a slice, without a full-size temporary. {@code g} must have the region's shape.
     */
    public void accumulateGradRegion(INDArrayIndex[] index, INDArray g) {
        if (!requiresGrad) {
            return;
        }
        if (grad == null) {
            grad = HostMemory.zeros(data.dataType(), data.shape());
        }
        INDArray region = grad.get(index);
        if (!Arrays.equals(region.shape(), g.shape()) || g.dataType() != data.dataType()) {
            throw new IllegalStateException("gradient of '" + op + "' region has shape " + Arrays.toString(g.shape())
                    + " " + g.dataType() + " but the region has shape " + Arrays.toString(region.shape()) + " "
                    + data.dataType());
        }
        region.addi(g);
    }

    /**
     * Like {@link #accumulateGrad} but takes ownership of {@code g}: the caller must not use or
     * hand it to anyone else afterwards (it is freed once added into an existing gradient). Saves one
     * copy for freshly computed gradients.
     */
    public void accumulateGradOwned(INDArray g) {
        if (!requiresGrad) {
            return;
        }
        checkGradShape(g);
        if (grad == null) {
            grad = HostMemory.dense(g);
        } else {
            grad.addi(g);
            HostMemory.release(g); // ours, and added: free it now rather than at the next collection
        }
    }

    private void checkGradShape(INDArray g) {
        if (!Arrays.equals(g.shape(), data.shape())) {
            throw new IllegalStateException("gradient of '" + op + "' has shape " + Arrays.toString(g.shape())
                    + " but the tensor has shape " + Arrays.toString(data.shape()));
        }
        if (g.dataType() != data.dataType()) {
            throw new IllegalStateException(
                    "gradient of '" + op + "' has dtype " + g.dataType() + " but the tensor has " + data.dataType());
        }
    }

    // ---------------------------------------------------------------- backward

    /** Backpropagates from this one-element tensor (a loss) with seed gradient 1. */
    public void backward() {
        backward(seedGradient("backward"), false);
    }

    /**
     * Backpropagates {@code gradOutput} (same shape as this tensor) through the recorded graph,
     * accumulating into every leaf that requires a gradient. {@code gradOutput} stays the caller's:
     * it is never modified, kept, or freed. Where this tensor's op only reads its incoming gradient
     * (the fused activations, SwiGLU, the embedding) it is read in place; otherwise it is first
     * copied into this tensor's gradient.
     */
    public void backward(INDArray gradOutput) {
        backward(gradOutput, false);
    }

    /**
     * {@link #backward()}, freeing the graph's memory as it goes instead of leaving it to the
     * garbage collector: each intermediate gradient as soon as its op has propagated it, and each
     * intermediate tensor's value as soon as the last op that needs it (its own backward, those of
     * the ops that consumed it) has run. Freed memory that came from Tessera's pool is handed out
     * again, warm, to the next array of its size (see {@code HostMemory.release}); this is what
     * lets a training step reuse its memory from one step to the next.
     *
     * <p>Ownership: only values the graph made are freed: never a leaf (parameters, inputs,
     * constants), never this tensor (the loss), never memory shared with any of those, never a value
     * that is a slice of a larger buffer. Afterwards every other tensor of the graph is freed:
     * {@link #data()} on it throws {@link IllegalStateException}, as does a second backward through
     * it. Read what you need (logits, metrics) before calling this. Results are the same as with
     * {@link #backward()} bit for bit.
     */
    public void backwardAndFree() {
        backward(seedGradient("backwardAndFree"), true);
    }

    /** {@link #backwardAndFree()} with an explicit output gradient (same shape as this tensor). */
    public void backwardAndFree(INDArray gradOutput) {
        backward(gradOutput, true);
    }

    /** Whether the backward running on this thread is {@link #backwardAndFree}. */
    private static final ThreadLocal<boolean[]> FREEING = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * For an op's backward function: frees arrays the op saved for its backward and made itself
     * (never an input's or its output's value, never an array it returned to the caller) when the
     * backward running is {@link #backwardAndFree}, as the graph cannot run again. Under
     * {@link #backward} it does nothing: a second backward through the same graph may need them.
     */
    public static void releaseSaved(INDArray... saved) {
        if (!FREEING.get()[0]) {
            return;
        }
        for (INDArray a : saved) {
            if (a != null) {
                HostMemory.release(a);
            }
        }
    }

    private INDArray seedGradient(String method) {
        if (data.length() != 1) {
            throw new IllegalStateException(method + "() without a gradient needs a one-element tensor, but shape is "
                    + Arrays.toString(shape()) + "; pass the output gradient to " + method + "(INDArray)");
        }
        return Nd4j.ones(data.dataType(), data.shape());
    }

    private void backward(INDArray gradOutput, boolean free) {
        if (!requiresGrad) {
            throw new IllegalStateException("backward() on a tensor that does not require a gradient (op '" + op
                    + "'): no input requires a gradient, or it was computed under GradMode.noGrad()");
        }
        List<Tensor> order = topologicalOrder(this);
        GraphMemory memory = free ? new GraphMemory(this, order) : null;
        if (readsGradientOnly && grad == null) {
            // the caller's array, read in place: the op only reads it (fromOpReadingGradient), and
            // propagate() drops the reference after the op's backward; never freed, it is not ours
            checkGradShape(gradOutput);
            grad = gradOutput;
            if (memory != null) {
                memory.keep(gradOutput);
            }
        } else {
            accumulateGrad(gradOutput);
        }
        boolean[] freeing = FREEING.get();
        boolean outer = freeing[0];
        freeing[0] = free;
        try {
            propagate(order, memory);
        } finally {
            freeing[0] = outer;
        }
    }

    private void propagate(List<Tensor> order, GraphMemory memory) {
        for (int i = order.size() - 1; i >= 0; i--) {
            Tensor t = order.get(i);
            if (t.backward == null) {
                continue; // a leaf: keeps its value and its accumulated gradient
            }
            INDArray g = t.grad;
            if (g != null) {
                t.grad = null; // intermediate gradients are released as soon as they are propagated
                t.backward.apply(g);
                if (memory != null) {
                    memory.gradientDone(t, g);
                }
            }
            if (memory != null && t != this) {
                memory.valueDone(t); // every op that reads t's value (t's consumers, t itself) has run
                t.released = true;
            }
        }
    }

    /**
     * Which native buffers of a graph {@link #backwardAndFree} may free and when: a buffer is
     * freed once every intermediate tensor over it is done, unless a leaf, the root or an input
     * outside the graph uses it, and only if some tensor's value spans it whole (a slice may be
     * of memory the graph does not own, e.g. a cache).
     */
    private static final class GraphMemory {
        private final Set<DataBuffer> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        private final IdentityHashMap<DataBuffer, int[]> users = new IdentityHashMap<>();
        private final Set<DataBuffer> owned = Collections.newSetFromMap(new IdentityHashMap<>());

        GraphMemory(Tensor root, List<Tensor> order) {
            kept.add(HostMemory.rootBuffer(root.data));
            for (Tensor t : order) {
                if (t.backward == null) {
                    kept.add(HostMemory.rootBuffer(t.data));
                    if (t.grad != null) {
                        kept.add(HostMemory.rootBuffer(t.grad));
                    }
                }
                if (t.inputs != null) {
                    for (Tensor in : t.inputs) {
                        if (!in.requiresGrad) {
                            kept.add(HostMemory.rootBuffer(in.data)); // a constant: not the graph's
                        }
                    }
                }
            }
            for (Tensor t : order) {
                if (t.backward != null && t != root) {
                    DataBuffer b = HostMemory.rootBuffer(t.data);
                    users.computeIfAbsent(b, k -> new int[1])[0]++;
                    if (t.data.offset() == 0 && t.data.length() == b.length()) {
                        owned.add(b);
                    }
                }
            }
        }

        /** Never frees {@code a}'s buffer (the caller's seed gradient when it is read in place). */
        void keep(INDArray a) {
            kept.add(HostMemory.rootBuffer(a));
        }

        /** After {@code t}'s backward consumed {@code g}: free it unless an input's gradient or a value shares it. */
        void gradientDone(Tensor t, INDArray g) {
            DataBuffer b = HostMemory.rootBuffer(g);
            if (kept.contains(b) || users.containsKey(b)) {
                return;
            }
            for (Tensor in : t.inputs) {
                if (in.grad != null && HostMemory.rootBuffer(in.grad) == b) {
                    return; // the op handed (a view of) its output gradient on as an input's gradient
                }
            }
            HostMemory.release(g);
        }

        /** {@code t}'s value is no longer needed by the graph: free its buffer once no other tensor uses it. */
        void valueDone(Tensor t) {
            DataBuffer b = HostMemory.rootBuffer(t.data);
            int[] n = users.get(b);
            if (n == null || --n[0] > 0 || kept.contains(b) || !owned.contains(b)) {
                return;
            }
            HostMemory.releaseBuffer(b);
        }
    }

    /** Nodes reachable from root, inputs before outputs; iterative so deep graphs cannot overflow the stack. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            if (t.released) {
                throw new IllegalStateException("backward through '" + t.op + "' " + Arrays.toString(t.data.shape())
                        + ", whose value an earlier backwardAndFree() freed; build the graph again");
            }
            int next = (Integer) frame[1];
            Tensor[] in = t.inputs;
            if (in != null && next < in.length) {
                frame[1] = next + 1;
                Tensor child = in[next];
                if (child.requiresGrad && visited.add(child)) {
                    stack.push(new Object[] {child, 0});
                }
            } else {
                stack.pop();
                order.add(t);
            }
        }
        return order;
    }

    // ---------------------------------------------------------------- fluent ops (see the op classes for details)

    public Tensor add(Tensor other) { return Elementwise.add(this, other); }
    public Tensor sub(Tensor other) { return Elementwise.sub(this, other); }
    public Tensor mul(Tensor other) { return Elementwise.mul(this, other); }
    public Tensor div(Tensor other) { return Elementwise.div(this, other); }
    public Tensor addBroadcast(Tensor other) { return Elementwise.addBroadcast(this, other); }
    public Tensor subBroadcast(Tensor other) { return Elementwise.subBroadcast(this, other); }
    public Tensor mulBroadcast(Tensor other) { return Elementwise.mulBroadcast(this, other); }
    public Tensor divBroadcast(Tensor other) { return Elementwise.divBroadcast(this, other); }
    public Tensor add(double c) { return Elementwise.addScalar(this, c); }
    public Tensor mul(double c) { return Elementwise.mulScalar(this, c); }
    public Tensor neg() { return Elementwise.mulScalar(this, -1.0); }
    public Tensor pow(double exponent) { return Elementwise.pow(this, exponent); }
    public Tensor sqrt() { return Elementwise.sqrt(this); }
    public Tensor exp() { return Elementwise.exp(this); }
    public Tensor log() { return Elementwise.log(this); }
    public Tensor abs() { return Elementwise.abs(this); }
    public Tensor tanh() { return Activations.tanh(this); }
    public Tensor sigmoid() { return Activations.sigmoid(this); }
    public Tensor relu() { return Activations.relu(this); }
    public Tensor silu() { return Activations.silu(this); }
    public Tensor gelu() { return Activations.gelu(this); }
    public Tensor geluTanh() { return Activations.geluTanh(this); }
    /** silu(this)·up as one node (SwiGLU's gating); see {@link Activations#swiglu}. */
    public Tensor swiglu(Tensor up) { return Activations.swiglu(this, up); }

    public Tensor matmul(Tensor other) { return MatMul.matmul(this, other); }

    public Tensor reshape(long... shape) { return ShapeOps.reshape(this, shape); }
    public Tensor transpose(int dim0, int dim1) { return ShapeOps.transpose(this, dim0, dim1); }
    public Tensor permute(int... dims) { return ShapeOps.permute(this, dims); }
    public Tensor slice(int dim, long start, long end) { return ShapeOps.slice(this, dim, start, end); }
    public Tensor unsqueeze(int dim) { return ShapeOps.unsqueeze(this, dim); }
    public Tensor squeeze(int dim) { return ShapeOps.squeeze(this, dim); }
    public Tensor contiguous() { return ShapeOps.contiguous(this); }

    public Tensor sum() { return Reductions.sumAll(this); }
    public Tensor mean() { return Reductions.meanAll(this); }
    public Tensor sum(boolean keepDims, int... axes) { return Reductions.sum(this, keepDims, axes); }
    public Tensor mean(boolean keepDims, int... axes) { return Reductions.mean(this, keepDims, axes); }
    public Tensor max(int axis, boolean keepDims) { return Reductions.max(this, axis, keepDims); }
    public Tensor logSumExp(int axis, boolean keepDims) { return Reductions.logSumExp(this, axis, keepDims); }

    public Tensor softmax(int axis) { return Softmax.softmax(this, axis); }
    public Tensor logSoftmax(int axis) { return Softmax.logSoftmax(this, axis); }

    public Tensor maskedFill(Tensor mask, double value) { return Indexing.maskedFill(this, mask, value); }

    @Override
    public String toString() {
        return "Tensor(op=" + op + ", shape=" + Arrays.toString(shape()) + ", dtype=" + dtype()
                + (requiresGrad ? ", requiresGrad" : "") + ")";
    }
}
