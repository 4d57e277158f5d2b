package dev.tessera.training.data;

/**
 * A token sequence and which of its tokens are trained on.
 *
 * @param ids the tokens
 * @param lossMask lossMask[i] is true when token i is a prediction target (its predecessor's
 *     logits are scored against it); same length as ids
 */
public record LabeledSequence(int[] ids, boolean[] lossMask) {
    public LabeledSequence {
        if (ids == null || lossMask == null || ids.length != lossMask.length) {
            throw new IllegalArgumentException("ids and lossMask must be non-null with equal lengths but had "
                    + (ids == null ? "null" : ids.length) + " and " + (lossMask == null ? "null" : lossMask.length));
        }
        if (ids.length == 0) {
            throw new IllegalArgumentException("a sequence needs at least one token");
        }
        ids = ids.clone();
        lossMask = lossMask.clone();
    }

    @Override
    public int[] ids() {
        return ids.clone();
    }

    @Override
    public boolean[] lossMask() {
        return lossMask.clone();
    }

    public int length() {
        return ids.length;
    }
}
