package dev.tessera.bench.training;

import dev.tessera.attention.AttentionMemory;
import dev.tessera.host.HostMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;

/**
 * Samples the process's resident memory every millisecond on a daemon thread and keeps the split of
 * the sample with the highest RSS, so a peak-memory report can say what the peak was made of. The
 * split is read right after the RSS, from another thread than the one stepping, so its parts are
 * close to (not exactly at) the peak; the peak itself is {@code VmHWM}.
 */
final class MemorySampler {
    /** What the process held at one sample, in bytes. */
    record Sample(long rss, long poolInUse, long poolIdle, long scoreInUse, long scoreFree, long heapUsed,
            long heapCommitted, long nonHeapCommitted) {
        /**
         * What the other parts leave of the RSS, given the heap's resident bytes: native libraries and their data, the JVM's own
         * native memory, ND4J's arrays (the model, the optimizer state and arrays the collector has
         * not yet found) and memory glibc's malloc keeps after a free.
         */
        long rest(long heapResident) {
            return rss - poolInUse - poolIdle - scoreInUse - scoreFree - heapResident - nonHeapCommitted;
        }
    }

    /** Page size of /proc/self/statm's counts (4 KB on x86-64 and most aarch64 Linux kernels). */
    private static final long PAGE_BYTES = 4096;

    private final RandomAccessFile statm;
    private final byte[] line = new byte[256];
    private final Thread thread;
    private volatile boolean running = true;
    private Sample max;
    private volatile long maxPoolFootprint;

    private MemorySampler() throws IOException {
        statm = new RandomAccessFile("/proc/self/statm", "r");
        thread = new Thread(this::loop, "memory-sampler");
        thread.setDaemon(true);
    }

    /** Starts sampling now. */
    static MemorySampler start() throws IOException {
        MemorySampler s = new MemorySampler();
        s.max = s.sample(); // never null, even for a run shorter than one period
        s.thread.start();
        return s;
    }

    /** Stops sampling and returns the sample with the highest RSS. */
    Sample stop() {
        running = false;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the memory sampler", e);
        }
        Sample last = sample();
        close();
        return last.rss() > max.rss() ? last : max;
    }

    /** The most pool bytes held (in use plus idle) at any sample. */
    long maxPoolFootprint() {
        return maxPoolFootprint;
    }

    private void loop() {
        while (running) {
            Sample s = sample();
            if (s.rss() > max.rss()) {
                max = s;
            }
            maxPoolFootprint = Math.max(maxPoolFootprint, s.poolInUse() + s.poolIdle());
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Sample sample() {
        long rss = rss();
        long inUse = HostMemory.pooledBytesInUse();
        long idle = HostMemory.pooledBytesIdle();
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = mx.getHeapMemoryUsage();
        MemoryUsage nonHeap = mx.getNonHeapMemoryUsage();
        return new Sample(rss, inUse, idle, AttentionMemory.scoreBufferBytesInUse(),
                AttentionMemory.scoreBufferBytesFree(), heap.getUsed(), heap.getCommitted(), nonHeap.getCommitted());
    }

    /**
     * Resident bytes of this process: the second field of {@code /proc/self/statm}, in pages, read
     * into a reused buffer so that sampling puts no garbage on the heap it measures.
     */
    private long rss() {
        try {
            statm.seek(0);
            int n = statm.read(line);
            int i = 0;
            while (i < n && line[i] != ' ') {
                i++; // skip the first field (total program size)
            }
            long pages = 0;
            for (i++; i < n && line[i] >= '0' && line[i] <= '9'; i++) {
                pages = pages * 10 + (line[i] - '0');
            }
            return pages * PAGE_BYTES;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Resident bytes of the Java heap now, from {@code /proc/self/smaps}: the run of adjacent
     * mappings that spans exactly the reserved heap ({@link Runtime#maxMemory()}, one contiguous
     * reservation in HotSpot). The heap's committed size says little here: the collector commits
     * regions it never touches. Reads a few hundred lines, so it is taken once, after the steps
     * (heap pages, once touched, stay resident: the collector does not give them back meanwhile).
     *
     * @return the bytes, or -1 where no such run of mappings is found
     */
    static long javaHeapResident() throws IOException {
        List<long[]> maps = new ArrayList<>(); // {start, end, rss bytes}
        long[] current = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash > 0 && space > dash && isHex(line, 0, dash) && isHex(line, dash + 1, space)) {
                current = new long[] {Long.parseUnsignedLong(line.substring(0, dash), 16),
                        Long.parseUnsignedLong(line.substring(dash + 1, space), 16), 0};
                maps.add(current);
            } else if (current != null && line.startsWith("Rss:")) {
                current[2] = Long.parseLong(line.substring(4).trim().split("\\s+")[0]) * 1024;
            }
        }
        long heap = Runtime.getRuntime().maxMemory();
        for (int i = 0; i < maps.size(); i++) {
            long start = maps.get(i)[0];
            long rss = 0;
            for (int j = i; j < maps.size() && (j == i || maps.get(j)[0] == maps.get(j - 1)[1]); j++) {
                rss += maps.get(j)[2];
                if (maps.get(j)[1] - start == heap) {
                    return rss;
                }
                if (maps.get(j)[1] - start > heap) {
                    break;
                }
            }
        }
        return -1;
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return to > from;
    }

    /** Closes the statm file. */
    private void close() {
        try {
            statm.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
