package io.p2pd.stun;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Makes a Netty buffer leak fail the test class: Netty's detector (PARANOID in tests) only logs, so a
 * recording detector is installed through {@code io.netty.customResourceLeakDetector} before any buffer
 * class loads (by the launcher session listener below, registered in META-INF/services), and after all
 * tests of a class the garbage is collected and the recorder must be empty.
 */
final class NettyLeakCheck implements BeforeAllCallback, AfterAllCallback {
    static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    /** Registered as a service: runs before any test class is loaded. */
    public static final class Installer implements LauncherSessionListener {
        @Override
        public void launcherSessionOpened(LauncherSession session) {
            System.setProperty("io.netty.customResourceLeakDetector", Recorder.class.getName());
        }
    }

    /** Netty's detector that also records each leak it reports. */
    public static final class Recorder<T> extends ResourceLeakDetector<T> {
        public Recorder(Class<?> resourceType, int samplingInterval) {
            super(resourceType, samplingInterval);
        }

        public Recorder(Class<?> resourceType, int samplingInterval, long maxActive) {
            this(resourceType, samplingInterval);
        }

        @Override
        protected boolean needReport() {
            return true; // record even when the logger would not print
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            LEAKS.add(resourceType + records);
            super.reportTracedLeak(resourceType, records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            LEAKS.add(resourceType);
            super.reportUntracedLeak(resourceType);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Field f = Class.forName("io.netty.buffer.AbstractByteBuf").getDeclaredField("leakDetector");
        f.setAccessible(true);
        Object detector = f.get(null);
        if (!(detector instanceof Recorder)) {
            throw new IllegalStateException("Netty leak recorder not installed (got " + detector
                    + "): is META-INF/services/org.junit.platform.launcher.LauncherSessionListener on the test path?");
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        // Leaks are found when a collected, unreleased buffer's reference is polled, which happens on the next
        // tracked allocation: collect, then allocate a few tracked buffers, a few times.
        for (int round = 0; round < 5 && LEAKS.isEmpty(); round++) {
            System.gc();
            for (int i = 0; i < 100; i++) {
                ByteBuf b = i % 2 == 0 ? ByteBufAllocator.DEFAULT.buffer(8) : Unpooled.directBuffer(8);
                b.release();
            }
        }
        if (!LEAKS.isEmpty()) {
            String first = LEAKS.getFirst();
            int count = LEAKS.size();
            LEAKS.clear();
            throw new AssertionError(count + " Netty buffer leak(s) detected; first: " + first);
        }
    }
}
