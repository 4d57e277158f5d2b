package dev.tessera.rlhf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/** Checks a config record's {@code withX} methods: each one sets its own component and keeps every other. */
public final class RecordWithers {
    private RecordWithers() {}

    /**
     * For every component x of {@code base}'s record class, calls {@code base.withX(other.x())} and
     * asserts that the result has other's x and base's value of every other component. {@code other}
     * must differ from base in every component, and each single change must make a valid record.
     */
    public static <R extends Record> void assertEachWithSetsOnlyItsComponent(R base, R other) throws ReflectiveOperationException {
        RecordComponent[] components = base.getClass().getRecordComponents();
        for (RecordComponent c : components) {
            Object wanted = c.getAccessor().invoke(other);
            assertNotEquals(c.getAccessor().invoke(base), wanted, "other must differ from base in " + c.getName());
            String name = "with" + Character.toUpperCase(c.getName().charAt(0)) + c.getName().substring(1);
            Method with = base.getClass().getMethod(name, c.getType());
            Object changed;
            try {
                changed = with.invoke(base, wanted);
            } catch (InvocationTargetException e) {
                throw new AssertionError(name + " rejected " + wanted, e.getCause());
            }
            for (RecordComponent d : components) {
                Object expected = (d == c ? other : base);
                assertEquals(d.getAccessor().invoke(expected), d.getAccessor().invoke(changed),
                        name + " must set " + (d == c ? "" : "nothing but ") + c.getName() + " (checked " + d.getName() + ")");
            }
        }
    }
}
