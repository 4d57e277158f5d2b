package dev.tessera.bench;

import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a Tessera benchmark side does with an op's output, so that it matches its PyTorch twin:
 * the twin reads one element and then drops its last reference (its {@code NDManager} scope
 * closes), and PyTorch frees the tensor at once, so the next call gets the same warm memory.
 * Tessera's side reads one element and releases the output ({@code HostMemory.release}), which
 * hands the block back to Tessera's pool for the next call.
 */
public final class Outputs {
    private Outputs() {}

    /** The first element of {@code y}, whose memory is then released. */
    public static float firstAndRelease(INDArray y) {
        float first = y.getFloat(0);
        HostMemory.release(y);
        return first;
    }

    /**
     * Backpropagates {@code g} from {@code y} freeing the graph as it goes (PyTorch's autograd frees
     * its saved tensors in backward), then releases {@code y} itself, which the caller drops.
     */
    public static void backwardAndRelease(Tensor y, INDArray g) {
        y.backwardAndFree(g);
        HostMemory.release(y.data());
    }
}
