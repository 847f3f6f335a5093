package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChartRefresherTest {

    @Test
    void requestsWhileADrawingRunsAreMergedAndNoneRunsOnTheCaller() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger drawings = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        ChartRefresher r = new ChartRefresher(2, () -> {
            threads.add(Thread.currentThread().getName());
            if (drawings.incrementAndGet() == 1) {
                entered.countDown();
                await(release);
            }
            return List.of();
        });
        r.accept(Map.of("step", 2L));
        assertTrue(entered.await(1, TimeUnit.MINUTES), "the first drawing started");
        for (long step = 3; step <= 40; step++) {
            r.accept(Map.of("step", step)); // 19 requests (even steps) while the first drawing is blocked
        }
        assertEquals(1, drawings.get(), "the caller never draws");
        release.countDown();
        r.finish();
        // the blocked drawing, one for all 19 requests made meanwhile, and the final one
        assertEquals(3, drawings.get());
        assertTrue(threads.contains("groupflow-charts"));
        assertNotEquals(Set.of(Thread.currentThread().getName()), threads);
    }

    @Test
    void everyZeroDrawsOnlyAtTheEndAndFailuresAreNotThrown() {
        AtomicInteger drawings = new AtomicInteger();
        ChartRefresher r = new ChartRefresher(0, () -> {
            drawings.incrementAndGet();
            throw new IllegalStateException("no fonts");
        });
        for (long step = 1; step <= 100; step++) {
            r.accept(Map.of("step", step));
        }
        assertEquals(List.<Path>of(), r.finish());
        assertEquals(1, drawings.get());
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
