package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Every op family rejects bad shapes with a message that names the arguments and their shapes. */
class ShapeErrorTest {
    private static final Tensor A = Tensor.zeros(DataType.FLOAT, 2, 3);
    private static final Tensor B = Tensor.zeros(DataType.FLOAT, 3, 2);

    private static void rejects(Executable e, String... fragments) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String f : fragments) {
            assertTrue(ex.getMessage().contains(f), "message '" + ex.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void elementwiseNeverBroadcastsSilently() {
        rejects(() -> A.add(B), "add", "a has shape [2, 3]", "b has shape [3, 2]");
        rejects(() -> A.mul(Tensor.zeros(DataType.FLOAT, 3)), "mul", "[2, 3]", "[3]", "Broadcast");
        rejects(() -> A.addBroadcast(Tensor.zeros(DataType.FLOAT, 4)), "addBroadcast", "[2, 3]", "[4]");
        rejects(() -> A.add(Tensor.zeros(DataType.DOUBLE, 2, 3)), "dtype", "FLOAT", "DOUBLE");
    }

    @Test
    void matmulNamesBothShapes() {
        rejects(() -> A.matmul(A), "matmul", "[2, 3]", "K = 3", "K = 2");
        rejects(() -> Tensor.zeros(DataType.FLOAT, 2, 2, 3).matmul(Tensor.zeros(DataType.FLOAT, 3, 3, 4)),
                "matmul", "batch dims", "[2]", "[3]");
        rejects(() -> MatMul.linear(A, Tensor.zeros(DataType.FLOAT, 4, 5), null), "linear", "[2, 3]", "[4, 5]");
        rejects(() -> Tensor.zeros(DataType.FLOAT, 3).matmul(B), "rank >= 2");
    }

    @Test
    void shapeOpsNameTheArgument() {
        rejects(() -> A.reshape(4, 2), "reshape", "[4, 2]", "[2, 3]");
        rejects(() -> A.transpose(0, 2), "dim1", "2");
        rejects(() -> A.permute(0, 0), "permute", "permutation");
        rejects(() -> A.slice(1, 2, 5), "slice", "end = 5", "3");
        rejects(() -> ShapeOps.concat(0, List.of(A, B)), "concat", "parts[1]", "[3, 2]");
        rejects(() -> ShapeOps.split(A, 1, 1, 1), "split", "add up to 2", "size 3");
    }

    @Test
    void reductionsAndSoftmaxCheckAxes() {
        rejects(() -> A.sum(false, 2), "axes[0]", "2");
        rejects(() -> A.softmax(3), "axis", "3");
        rejects(() -> A.max(-3, false), "axis", "-3");
    }

    @Test
    void indexingChecksIdsAndMasks() {
        rejects(() -> Indexing.embedding(A, Nd4j.createFromArray(0, 2)), "embedding", "ids", "[0, 2)", "element 1 is 2");
        rejects(() -> Indexing.embedding(A, Nd4j.createFromArray(0.0f)), "integer dtype");
        rejects(() -> Indexing.gatherLast(A, Nd4j.createFromArray(0, 1, 2)), "gatherLast", "index", "[2]", "[3]");
        rejects(() -> A.maskedFill(Tensor.zeros(DataType.BOOL, 3, 3), 0), "maskedFill", "[3, 3]");
    }

    @Test
    void normalizationChecksAffineShapes() {
        rejects(() -> Normalization.layerNorm(A, Tensor.zeros(DataType.FLOAT, 2), null, 1e-5), "layerNorm", "weight", "[3]", "[2]");
        rejects(() -> Normalization.rmsNorm(A, Tensor.zeros(DataType.FLOAT, 4), 1e-5), "rmsNorm", "weight", "[3]", "[4]");
    }
}
