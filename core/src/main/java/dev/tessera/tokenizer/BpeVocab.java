package dev.tessera.tokenizer;

import java.util.Arrays;

/**
 * Byte-level BPE vocabulary and merge engine: token id &lt;-&gt; byte string, and the merge
 * priority ("rank") of each mergeable token. For tiktoken files the rank is the id; for
 * Hugging Face files it is the index of the merge that creates the token.
 *
 * <p>Merging follows tiktoken exactly: repeatedly merge the adjacent pair whose
 * concatenation has the lowest rank, the leftmost one on ties, until no adjacent pair is a
 * token.
 *
 * <p>Performance notes. Byte strings of 1..7 bytes are packed into a {@code long} with a
 * sentinel bit above the last byte and looked up in an open-addressing {@link LongIntMap};
 * longer strings go to an open-addressing table over one byte arena. Pieces are first
 * looked up whole (most words of natural text are single tokens). Short pieces (&lt;= 64
 * bytes) merge with tiktoken's array loop, which is O(n^2) but allocation-free and faster
 * than anything clever for the n &lt;= 10 of real text; long pieces (runs of spaces, base64
 * blobs, minified code) use a linked list and a tournament tree,
 * O(n log n), so a 1 MB piece takes milliseconds instead of minutes. A HashMap&lt;ByteArrayWrapper,
 * Integer&gt; (jtokkit's layout) was the obvious alternative and is several times slower
 * per lookup because of boxing, pointer chasing and hash recomputation.
 */
final class BpeVocab {
    static final int NO_RANK = Integer.MAX_VALUE;
    private static final int SMALL_PIECE = 64;

    private final byte[] arena;
    private final int[] start;   // id -> start in arena, or -1 if the id is unused
    private final int[] length;  // id -> byte length
    private final int[] rank;    // id -> merge rank (NO_RANK: never produced by merging)
    private final boolean[] mergeable; // false for special tokens (never looked up by bytes)
    private final LongIntMap small;
    private final int[] largeSlots; // id + 1, 0 = empty
    private final int largeMask;
    private final int[] byteId = new int[256];
    private final boolean wholePieceShortcut;
    private final int maxLength;

    /**
     * @param tokens    byte strings by id ({@code null} for an unused id)
     * @param ranks     merge rank by id
     * @param special   true where the id is a special token (decodable, never merged)
     * @param wholePieceShortcut whether a piece that is itself a token maps to that token
     *                  directly (tiktoken does this; it is exact whenever every token is
     *                  reachable by merging, and required for Hugging Face's ignore_merges)
     */
    BpeVocab(byte[][] tokens, int[] ranks, boolean[] special, boolean wholePieceShortcut) {
        int n = tokens.length;
        this.wholePieceShortcut = wholePieceShortcut;
        start = new int[n];
        length = new int[n];
        rank = Arrays.copyOf(ranks, n);
        mergeable = new boolean[n];
        long total = 0;
        int nLarge = 0;
        for (byte[] t : tokens) {
            if (t != null) {
                total += t.length;
                if (t.length > 7) {
                    nLarge++;
                }
            }
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("vocabulary too large: " + total + " bytes");
        }
        arena = new byte[(int) total];
        int maxLen = 0;
        for (byte[] t : tokens) {
            maxLen = t == null ? maxLen : Math.max(maxLen, t.length);
        }
        maxLength = maxLen;
        if (maxLen > Short.MAX_VALUE) {
            throw new IllegalArgumentException("tokens longer than " + Short.MAX_VALUE + " bytes are not supported, got "
                    + maxLen);
        }
        Arrays.fill(byteId, -1);
        small = new LongIntMap(n);
        int cap = Integer.highestOneBit(Math.max(4, nLarge) * 2 - 1) << 1;
        largeSlots = new int[cap];
        largeMask = cap - 1;
        int p = 0;
        for (int id = 0; id < n; id++) {
            byte[] t = tokens[id];
            if (t == null) {
                start[id] = -1;
                continue;
            }
            start[id] = p;
            length[id] = t.length;
            System.arraycopy(t, 0, arena, p, t.length);
            p += t.length;
            if (special != null && special[id]) {
                continue;
            }
            if (t.length == 0) {
                throw new IllegalArgumentException("token " + id + " has an empty byte string");
            }
            mergeable[id] = true;
            if (t.length == 1) {
                byteId[t[0] & 0xFF] = id;
            }
            int prev;
            if (t.length <= 7) {
                prev = small.put(pack(t, 0, t.length), id, -1);
            } else {
                prev = putLarge(id);
            }
            if (prev >= 0 && prev != id) {
                throw new IllegalArgumentException("duplicate token bytes for ids " + prev + " and " + id);
            }
        }
    }

    static long pack(byte[] b, int from, int to) {
        long k = 1L << ((to - from) << 3);
        for (int i = from, sh = 0; i < to; i++, sh += 8) {
            k |= (b[i] & 0xFFL) << sh;
        }
        return k;
    }

    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /**
     * Hash of b[from, to), to - from &gt;= 8: eight bytes per step (the last word overlaps).
     * A byte-at-a-time FNV-1a loop was the first version; on 1 MB runs of one character,
     * where every merge looks up concatenations of up to 128 bytes, it cost about 30% of
     * the time.
     */
    private static int hash(byte[] b, int from, int to) {
        long h = (to - from) * 0x9E3779B97F4A7C15L;
        int i = from;
        for (; i + 8 <= to; i += 8) {
            h = (h ^ (long) LONGS.get(b, i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        if (i < to) {
            h = (h ^ (long) LONGS.get(b, to - 8)) * 0x94D049BB133111EBL;
        }
        h ^= h >>> 29;
        return (int) (h ^ (h >>> 32));
    }

    private int putLarge(int id) {
        int i = hash(arena, start[id], start[id] + length[id]) & largeMask;
        while (largeSlots[i] != 0) {
            int other = largeSlots[i] - 1;
            if (equalsArena(other, arena, start[id], start[id] + length[id])) {
                return other;
            }
            i = (i + 1) & largeMask;
        }
        largeSlots[i] = id + 1;
        return -1;
    }

    private boolean equalsArena(int id, byte[] b, int from, int to) {
        int len = to - from;
        if (length[id] != len) {
            return false;
        }
        return Arrays.equals(arena, start[id], start[id] + len, b, from, to);
    }

    /** Token id of the byte string b[from, to), or -1. */
    int idOf(byte[] b, int from, int to) {
        int len = to - from;
        if (len <= 7) {
            return len == 1 ? byteId[b[from] & 0xFF] : small.get(pack(b, from, to), -1);
        }
        int i = hash(b, from, to) & largeMask;
        int s;
        while ((s = largeSlots[i]) != 0) {
            if (equalsArena(s - 1, b, from, to)) {
                return s - 1;
            }
            i = (i + 1) & largeMask;
        }
        return -1;
    }

    private int rankOf(byte[] b, int from, int to) {
        if (to - from > maxLength) {
            return NO_RANK; // no token is that long: skip hashing a long concatenation
        }
        int id = idOf(b, from, to);
        return id < 0 ? NO_RANK : rank[id];
    }

    int size() {
        return start.length;
    }

    boolean isValid(int id) {
        return id >= 0 && id < start.length && start[id] >= 0;
    }

    boolean isMergeable(int id) {
        return isValid(id) && mergeable[id];
    }

    int tokenLength(int id) {
        return length[id];
    }

    byte[] tokenBytes(int id) {
        return Arrays.copyOfRange(arena, start[id], start[id] + length[id]);
    }

    void copyBytes(int id, byte[] dst, int at) {
        System.arraycopy(arena, start[id], dst, at, length[id]);
    }

    /** Scratch arrays reused across pieces by one encoding call (not thread-safe). */
    static final class Scratch {
        int[] pos = new int[SMALL_PIECE + 1];
        int[] rk = new int[SMALL_PIECE];
        byte[] buf = new byte[256];
    }

    /**
     * Appends the ids of the BPE encoding of b[0, n) to out.
     *
     * @throws IllegalArgumentException if some byte has no token (impossible for a complete
     *         byte-level vocabulary)
     */
    void encodePiece(byte[] b, int n, IntArray out, Scratch sc) {
        if (n == 1) {
            out.add(requireByte(b[0]));
            return;
        }
        if (wholePieceShortcut) {
            int id = idOf(b, 0, n);
            if (id >= 0) {
                out.add(id);
                return;
            }
        }
        if (n <= SMALL_PIECE) {
            mergeSmall(b, n, out, sc);
        } else {
            mergeLarge(b, n, out);
        }
    }

    private int requireByte(byte v) {
        int id = byteId[v & 0xFF];
        if (id < 0) {
            throw new IllegalArgumentException("vocabulary has no token for byte 0x"
                    + Integer.toHexString(v & 0xFF) + "; expected a complete byte-level vocabulary");
        }
        return id;
    }

    private void mergeSmall(byte[] b, int n, IntArray out, Scratch sc) {
        int[] pos = sc.pos;
        int[] rk = sc.rk;
        for (int i = 0; i <= n; i++) {
            pos[i] = i;
        }
        int m = n; // number of parts; boundaries pos[0..m]
        for (int i = 0; i < m - 1; i++) {
            rk[i] = rankOf(b, i, i + 2);
        }
        while (m > 1) {
            int best = NO_RANK;
            int at = -1;
            for (int i = 0; i < m - 1; i++) {
                if (rk[i] < best) {
                    best = rk[i];
                    at = i;
                }
            }
            if (at < 0) {
                break;
            }
            // Merge parts at and at+1: drop boundary at+1, shift the ranks after it.
            System.arraycopy(pos, at + 2, pos, at + 1, m - at - 1);
            if (at + 2 < m - 1) {
                System.arraycopy(rk, at + 2, rk, at + 1, m - 1 - (at + 2));
            }
            m--;
            if (at > 0) {
                rk[at - 1] = rankOf(b, pos[at - 1], pos[at + 1]);
            }
            if (at < m - 1) {
                rk[at] = rankOf(b, pos[at], pos[at + 2]);
            }
        }
        for (int i = 0; i < m; i++) {
            int id = idOf(b, pos[i], pos[i + 1]);
            out.add(id >= 0 ? id : requireByte(b[pos[i]]));
        }
    }

    /**
     * O(n log n) merge for long pieces: parts as a linked list over start offsets, and a
     * tournament tree (segment tree of arg-min) over the pair rank of each part, ordered by
     * (rank, start) so ties go to the leftmost pair as in tiktoken. Each node holds the packed
     * {@code rank << 32 | start} of its subtree's minimum, so an update compares two adjacent
     * longs per level (one cache line) instead of chasing winners' ranks across the array.
     *
     * <p>Performance notes. A binary heap of (rank, start) with lazy deletion has the same
     * complexity but each push/pop touches ~20 random cache lines of a 16 MB array for a
     * 1 MB piece; it was 3-4x slower on 1 MB runs of one character. A first tree version stored only the winner's index and read its
     * rank from a separate array: 60% of the time went to those cache misses.
     * The list is kept as part lengths in {@code short[]} (every part is a token, at most
     * {@code maxLength <= 32767} bytes) rather than int next/prev arrays: for 1 MB pieces the
     * working set drops from 21 MB to 12 MB, which is what keeps time(1M)/time(100k) near 10
     * once the 100k case fits in cache and the 1M case does not.
     */
    private void mergeLarge(byte[] b, int n, IntArray out) {
        int size = Integer.highestOneBit(n - 1) << 1;
        short[] len = new short[n];  // length of the part starting here, 0 if not a part start
        short[] plen = new short[n]; // length of the previous part, 0 for the first part
        long[] tree = new long[2 * size]; // node = min over its leaves of (rank << 32 | start)
        for (int i = 0; i < size; i++) {
            int r = NO_RANK;
            if (i < n) {
                len[i] = 1;
                plen[i] = (short) (i == 0 ? 0 : 1);
                r = i + 1 < n ? rankOf(b, i, i + 2) : NO_RANK;
            }
            tree[size + i] = ((long) r << 32) | i;
        }
        for (int k = size - 1; k >= 1; k--) {
            tree[k] = Math.min(tree[2 * k], tree[2 * k + 1]);
        }
        while (true) {
            long top = tree[1];
            if ((int) (top >>> 32) == NO_RANK) {
                break;
            }
            int s = (int) top;
            int mid = s + len[s];
            int end = mid + len[mid];
            len[s] = (short) (end - s);
            len[mid] = 0;
            set(tree, size, mid, NO_RANK);
            if (end < n) {
                plen[end] = len[s];
                set(tree, size, s, rankOf(b, s, end + len[end]));
            } else {
                set(tree, size, s, NO_RANK);
            }
            if (s > 0) {
                int p = s - plen[s];
                set(tree, size, p, rankOf(b, p, end));
            }
        }
        for (int s = 0; s < n; s += len[s]) {
            int id = idOf(b, s, s + len[s]);
            out.add(id >= 0 ? id : requireByte(b[s]));
        }
    }

    /** Sets leaf i's rank and fixes the minima above it, stopping once a node is unchanged. */
    private static void set(long[] tree, int size, int i, int rank) {
        int k = size + i;
        tree[k] = ((long) rank << 32) | i;
        for (k >>>= 1; k >= 1; k >>>= 1) {
            long m = Math.min(tree[2 * k], tree[2 * k + 1]);
            if (tree[k] == m) {
                break;
            }
            tree[k] = m;
        }
    }
}
