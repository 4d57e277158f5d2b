package dev.tessera.rlhf.pipeline;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A named curve of (step, value) points for a report chart, e.g. the PPO reward per iteration. */
public final class Series {
    private final String name;
    private final List<double[]> points = new ArrayList<>();

    public Series(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
        this.name = name;
    }

    /** Appends a point; non-finite values are rejected so a chart never silently drops data. */
    public Series add(double step, double value) {
        if (!Double.isFinite(step) || !Double.isFinite(value)) {
            throw new IllegalArgumentException("series '" + name + "': point (" + step + ", " + value + ") is not finite");
        }
        points.add(new double[] {step, value});
        return this;
    }

    public String name() {
        return name;
    }

    /** The points in insertion order, each {step, value}. */
    public List<double[]> points() {
        return Collections.unmodifiableList(points);
    }

    public boolean isEmpty() {
        return points.isEmpty();
    }

    /** The last value, or NaN when empty. */
    public double last() {
        return points.isEmpty() ? Double.NaN : points.get(points.size() - 1)[1];
    }
}
