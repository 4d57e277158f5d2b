package dev.tessera.tokenizer;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
 * blobs, minified code) use a bit set of part starts and a tournament tree over blocks of
 * pair ranks, O(n log n) in time and about 5 bytes per input byte in memory, so a 1 MB piece
 * takes milliseconds instead of minutes and a 50 MB piece about 250 MB. A HashMap&lt;ByteArrayWrapper,
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

    private static final VarHandle LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

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

    /**
     * Per-thread scratch state (not thread-safe): merge arrays, the UTF-8 buffer, and a
     * bounded cache of recently merged pieces.
     *
     * <p>The cache is direct-mapped, {@value #CACHE_SLOTS} slots keyed by the piece's bytes,
     * holding the ids of pieces that needed merging (single-token pieces are already one
     * lookup). Words recur in any real text (Zipf), so most multi-token pieces are merged
     * once per thread rather than at every occurrence; on the mixed benchmark corpus this
     * removed about a third of cl100k's encode time. It is bounded (at most
     * {@value #CACHE_SLOTS} entries of at most 64 bytes) and per thread, so there is no
     * locking; a shared concurrent map was rejected because every lookup would pay for
     * synchronisation.
     */
    static final class Scratch {
        static final int CACHE_SLOTS = 4096;
        int[] pos = new int[SMALL_PIECE + 1];
        int[] rk = new int[SMALL_PIECE];
        byte[] buf = new byte[256];
        final int[] cacheHash = new int[CACHE_SLOTS];
        final byte[][] cacheKey = new byte[CACHE_SLOTS][];
        final int[][] cacheIds = new int[CACHE_SLOTS][];
        /** Where merge steps are counted; null except in complexity tests. */
        final EncodeWork count;

        Scratch() {
            this(null);
        }

        Scratch(EncodeWork count) {
            this.count = count;
        }
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
            int h = smallHash(b, n);
            int slot = h & (Scratch.CACHE_SLOTS - 1);
            byte[] key = sc.cacheKey[slot];
            if (key != null && sc.cacheHash[slot] == h && Arrays.equals(key, 0, key.length, b, 0, n)) {
                for (int id : sc.cacheIds[slot]) {
                    out.add(id);
                }
                return;
            }
            int before = out.size;
            long steps = mergeSmall(b, n, out, sc);
            if (sc.count != null) {
                sc.count.mergeSteps += steps;
            }
            sc.cacheHash[slot] = h;
            sc.cacheKey[slot] = Arrays.copyOf(b, n);
            sc.cacheIds[slot] = Arrays.copyOfRange(out.a, before, out.size);
        } else {
            long steps = mergeLarge(b, n, out);
            if (sc.count != null) {
                sc.count.mergeSteps += steps;
            }
        }
    }

    private static int smallHash(byte[] b, int n) {
        int h = n;
        for (int i = 0; i < n; i++) {
            h = 31 * h + b[i];
        }
        return h ^ (h >>> 13);
    }

    private int requireByte(byte v) {
        int id = byteId[v & 0xFF];
        if (id < 0) {
            throw new IllegalArgumentException("vocabulary has no token for byte 0x"
                    + Integer.toHexString(v & 0xFF) + "; expected a complete byte-level vocabulary");
        }
        return id;
    }

    /**
     * tiktoken's array loop: each merge scans all pair ranks for the lowest and shifts the
     * arrays after it, O(n^2) for n parts. Returns its steps (ranks looked up, compared and
     * moved) for {@link EncodeWork}; counting them costs one local addition per merge.
     */
    private long mergeSmall(byte[] b, int n, IntArray out, Scratch sc) {
        int[] pos = sc.pos;
        int[] rk = sc.rk;
        for (int i = 0; i <= n; i++) {
            pos[i] = i;
        }
        int m = n; // number of parts; boundaries pos[0..m]
        for (int i = 0; i < m - 1; i++) {
            rk[i] = rankOf(b, i, i + 2);
        }
        long steps = 2L * n; // initial ranks and the final lookups
        while (m > 1) {
            steps += m - 1;  // the scan for the lowest rank
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
            steps += 2 * (m - at) + 2; // the shifts and the two new ranks
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
        return steps;
    }

    /** Pair ranks per tournament-tree leaf in {@link #mergeLarge}. */
    private static final int BLOCK = 32;

    /**
     * O(n log n) merge for long pieces, in about 5 bytes of memory per input byte. Parts are
     * a bit set of their start offsets (bit n marks the end); {@code rank[i]} is the rank of
     * merging the part at i with the next one; a tournament tree over blocks of
     * {@value #BLOCK} ranks holds each block's minimum of {@code rank << 32 | start}, so the
     * root is the lowest-rank pair, the leftmost one on ties, as in tiktoken. A merge clears
     * one bit and updates at most three ranks, each followed by a scan of its block and a walk
     * up the tree.
     *
     * <p>Performance notes. The first version had one tree leaf per byte, a
     * {@code long[2 * 2^ceil(log2 n)]} tree and two {@code short[]} part lists: 20 to 36
     * bytes per input byte, so one 50 MB pre-token (a minified file, a run of one character)
     * needed more than a gigabyte. Blocks cut the tree to under one byte per input byte for
     * a scan of 32 adjacent ints (two cache lines) per update; the bit set replaces the part
     * lists, and finding a neighbouring part scans words of 64 bits (parts are short).
     *
     * <p>Returns its steps for {@link EncodeWork}: ranks looked up, block entries scanned, tree
     * nodes written and bit-set words crossed by the neighbour searches; counting them costs a
     * few local additions per merge.
     */
    private long mergeLarge(byte[] b, int n, IntArray out) {
        long[] starts = new long[(n >>> 6) + 1];
        int[] rank = new int[n];
        int blocks = (n + BLOCK - 1) / BLOCK;
        int size = Integer.highestOneBit(Math.max(1, blocks - 1)) << 1;
        long[] tree = new long[2 * size];
        Arrays.fill(starts, -1L);
        for (int i = 0; i < n; i++) {
            rank[i] = i + 1 < n ? rankOf(b, i, i + 2) : NO_RANK;
        }
        for (int k = 0; k < size; k++) {
            tree[size + k] = k < blocks ? blockMin(rank, k, n) : (long) NO_RANK << 32;
        }
        for (int k = size - 1; k >= 1; k--) {
            tree[k] = Math.min(tree[2 * k], tree[2 * k + 1]);
        }
        long steps = 2L * n + 2L * size; // initial ranks and tree, the final lookups
        while (true) {
            long top = tree[1];
            if ((int) (top >>> 32) == NO_RANK) {
                break;
            }
            int s = (int) top;
            int mid = nextStart(starts, s + 1);
            int end = nextStart(starts, mid + 1);
            starts[mid >>> 6] &= ~(1L << mid);
            rank[mid] = NO_RANK;
            int after = end < n ? nextStart(starts, end + 1) : n;
            rank[s] = end < n ? rankOf(b, s, after) : NO_RANK;
            steps += 1 + update(tree, size, rank, s / BLOCK, n);
            if (mid / BLOCK != s / BLOCK) {
                steps += update(tree, size, rank, mid / BLOCK, n);
            }
            int p = s;
            if (s > 0) {
                p = prevStart(starts, s - 1);
                rank[p] = rankOf(b, p, end);
                steps += 1 + update(tree, size, rank, p / BLOCK, n);
            }
            steps += 4 + ((after - p) >>> 6); // the neighbour searches' bit-set words
        }
        for (int s = 0; s < n; ) {
            int e = nextStart(starts, s + 1);
            int id = idOf(b, s, e);
            out.add(id >= 0 ? id : requireByte(b[s]));
            s = e;
        }
        return steps;
    }

    /** Minimum of {@code rank << 32 | i} over block k. */
    private static long blockMin(int[] rank, int k, int n) {
        long m = Long.MAX_VALUE;
        for (int i = k * BLOCK, e = Math.min(n, i + BLOCK); i < e; i++) {
            m = Math.min(m, ((long) rank[i] << 32) | i);
        }
        return m;
    }

    /**
     * Recomputes block k's minimum and the minima above it, stopping once a node is unchanged.
     * Returns the steps taken: the block entries scanned plus the tree nodes visited.
     */
    private static int update(long[] tree, int size, int[] rank, int k, int n) {
        int node = size + k;
        long v = blockMin(rank, k, n);
        if (tree[node] == v) {
            return BLOCK;
        }
        tree[node] = v;
        int steps = BLOCK + 1;
        for (node >>>= 1; node >= 1; node >>>= 1) {
            steps++;
            long m = Math.min(tree[2 * node], tree[2 * node + 1]);
            if (tree[node] == m) {
                break;
            }
            tree[node] = m;
        }
        return steps;
    }

    /** Lowest set bit at or after {@code from}; bit n is always set. */
    private static int nextStart(long[] bits, int from) {
        int w = from >>> 6;
        long word = bits[w] & (-1L << from);
        while (word == 0) {
            word = bits[++w];
        }
        return (w << 6) + Long.numberOfTrailingZeros(word);
    }

    /** Highest set bit at or before {@code from}; bit 0 is always set. */
    private static int prevStart(long[] bits, int from) {
        int w = from >>> 6;
        long word = bits[w] & (-1L >>> (63 - (from & 63)));
        while (word == 0) {
            word = bits[--w];
        }
        return (w << 6) + 63 - Long.numberOfLeadingZeros(word);
    }
}
