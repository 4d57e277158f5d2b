package dev.tessera.bench.training;

import dev.tessera.attention.AttentionMemory;
import dev.tessera.host.HostMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
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
         * What the other parts leave of the RSS: native libraries and their data, the JVM's own
         * native memory, ND4J's arrays (the model, the optimizer state and arrays the collector has
         * not yet found) and memory glibc's malloc keeps after a free.
         */
        long rest() {
            return rss - poolInUse - poolIdle - scoreInUse - scoreFree - heapCommitted - nonHeapCommitted;
        }
    }

    /** Page size of /proc/self/statm's counts (4 KB on x86-64 and most aarch64 Linux kernels). */
    private static final long PAGE_BYTES = 4096;

    private final RandomAccessFile statm;
    private final byte[] line = new byte[256];
    private final Thread thread;
    private volatile boolean running = true;
    private Sample max;

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

    private void loop() {
        while (running) {
            Sample s = sample();
            if (s.rss() > max.rss()) {
                max = s;
            }
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

    /** Closes the statm file. */
    private void close() {
        try {
            statm.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
