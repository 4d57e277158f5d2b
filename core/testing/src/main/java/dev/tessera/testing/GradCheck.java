package dev.tessera.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Finite-difference gradient checker: central differences in float64, eps 1e-6,
 * relative error |a - n| / (|a| + |n|) against a bound, differences below 1e-8 always pass.
 *
 * <p>The function's output is reduced to a scalar as Σ output ⊙ R with a fixed random R, so
 * every output element's gradient path is exercised with a different weight.
 */
public final class GradCheck {
    /** Max relative error for ops and layers. */
    public static final double OP_TOLERANCE = 1e-3;
    /** Max relative error for losses. */
    public static final double LOSS_TOLERANCE = 1e-5;
    private static final double EPS = 1e-6;
    private static final double MIN_ABS = 1e-8;

    private GradCheck() {}

    /** Checks every input that requires a gradient, with the op tolerance. */
    public static void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(name, OP_TOLERANCE, f, inputs);
    }

    /**
     * Checks d(Σ f(inputs) ⊙ R)/d(input) for every input that requires a gradient. Inputs must be
     * float64; they may be views (transposed, sliced) of larger arrays.
     */
    public static void check(String name, double tolerance, Function<Tensor[], Tensor> f, Tensor... inputs) {
        for (Tensor t : inputs) {
            if (t.requiresGrad() && t.dtype() != DataType.DOUBLE) {
                throw new IllegalArgumentException(name + ": gradient checks need float64 inputs, got " + t.dtype());
            }
            t.zeroGrad();
        }
        Tensor out = f.apply(inputs);
        INDArray weights = new Rng(1234).uniform(DataType.DOUBLE, -1, 1, out.shape());
        Tensor loss = out.mul(Tensor.constant(weights)).sum();
        loss.backward();
        for (int k = 0; k < inputs.length; k++) {
            Tensor t = inputs[k];
            if (!t.requiresGrad()) {
                continue;
            }
            INDArray analytic = t.grad();
            INDArray x = t.data();
            long[] shape = x.shape().clone();
            for (long i = 0; i < x.length(); i++) {
                // explicit coordinates: ND4J's linear index follows the array's own ordering for views
                long[] at = coordinates(i, shape);
                double orig = x.getDouble(at);
                x.putScalar(at, orig + EPS);
                double plus = scalarLoss(f, inputs, weights);
                x.putScalar(at, orig - EPS);
                double minus = scalarLoss(f, inputs, weights);
                x.putScalar(at, orig);
                double numeric = (plus - minus) / (2 * EPS);
                double a = analytic == null ? 0.0 : analytic.getDouble(at);
                double diff = Math.abs(a - numeric);
                if (diff < MIN_ABS) {
                    continue;
                }
                double rel = diff / (Math.abs(a) + Math.abs(numeric));
                if (!(rel <= tolerance)) {
                    fail(name + ": input " + k + " (shape " + Arrays.toString(t.shape()) + ") element " + i
                            + ": analytic " + a + " vs numeric " + numeric + ", relative error " + rel + " > " + tolerance);
                }
            }
        }
    }

    /** Row-major coordinates of linear index i. */
    static long[] coordinates(long i, long[] shape) {
        long[] at = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            at[d] = i % shape[d];
            i /= shape[d];
        }
        return at;
    }

    private static double scalarLoss(Function<Tensor[], Tensor> f, Tensor[] inputs, INDArray weights) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return f.apply(inputs).data().mul(weights).sumNumber().doubleValue();
        }
    }

    /** A float64 leaf variable with N(0, 1) entries. */
    public static Tensor randomVariable(Rng rng, long... shape) {
        return Tensor.variable(rng.normal(DataType.DOUBLE, 0, 1, shape));
    }
}
