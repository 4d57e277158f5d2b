"""Writes reference.safetensors with the reference implementation (Hugging Face safetensors,
Rust core, numpy front end) for dev.tessera.io.SafeTensorsReferenceFileTest.

    python3 make_reference.py        # needs: pip install safetensors numpy  (tested with 0.8.0, numpy 2.4)

The values are small and exact in every dtype, except f16 which checks numpy's round-to-nearest-even
against Tessera's. BF16 is absent: numpy has no bfloat16 without ml_dtypes.
"""
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5,        # [[-0.5,-0.25,0],[0.25,0.5,0.75]]
    "bias": np.array([1.5, -2.0, 1e-40, np.inf], dtype=np.float32),        # 1e-40 is a float32 subnormal
    "double": np.array([[np.pi], [-1.0 / 3]], dtype=np.float64),
    "half": np.array([1.0, 0.1, 65504.0, 65520.0, 2.0 ** -24, -0.0], dtype=np.float32).astype(np.float16),
    "ids": np.array([[0, 50256, -7]], dtype=np.int32),
    "positions": np.array([-(2 ** 40), 0, 2 ** 62], dtype=np.int64),
    "scalar": np.array(3.25, dtype=np.float32),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
save_file(tensors, "reference.safetensors", metadata={"format": "np", "source": "make_reference.py"})
