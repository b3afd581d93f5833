package dev.sluice.scheduler.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Does it fit" is answered without the node search for requests that need only CPUs, one per task, on
 * one-thread-per-core nodes (the free CPUs must add up); it must always agree with actually placing the job, and
 * the placement found must hold the tasks on the fewest nodes.
 */
class PlacerFitsTest {
    @Test
    void fitsAgreesWithPlacingOnPartlyUsedPools() {
        Random rnd = new Random(7);
        int countOnly = 0;
        for (int round = 0; round < 3000; round++) {
            int n = 1 + rnd.nextInt(12);
            List<String> names = new ArrayList<>();
            List<int[]> cpus = new ArrayList<>();
            List<int[]> sockets = new ArrayList<>();
            List<Long> mem = new ArrayList<>();
            List<ResourcePool.Gpu[]> gpus = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                names.add("n" + i);
                cpus.add(IntStream.range(0, 1 + rnd.nextInt(8)).toArray());
                sockets.add(null);
                mem.add(4096L);
                gpus.add(rnd.nextInt(3) == 0 ? new ResourcePool.Gpu[] {new ResourcePool.Gpu("h100", -1)}
                        : new ResourcePool.Gpu[0]);
            }
            ResourcePool pool = new ResourcePool(names, cpus, sockets, mem, gpus);
            boolean smt = rnd.nextInt(6) == 0;
            for (int i = 0; i < n; i++) {
                pool.threads[i] = smt && cpus.get(i).length % 2 == 0 ? 2 : 1;
            }
            // use part of each node
            for (int i = 0; i < n; i++) {
                int used = rnd.nextInt(cpus.get(i).length + 1);
                if (used > 0 && pool.threads[i] == 1) {
                    pool.take(List.of(new NodeShare("n" + i, used, IntStream.range(0, used).boxed().toList(), 0)));
                }
            }
            JobRequest r = request(rnd);
            int[] candidates = rnd.nextInt(4) == 0 ? IntStream.range(0, n).filter(i -> i % 2 == 0).toArray()
                    : IntStream.range(0, n).toArray();
            boolean fits = Placer.fits(r, pool, candidates, null, null);
            var placed = Placer.place(r, pool, candidates, null);
            assertThat(fits).as("round %d: %s", round, r).isEqualTo(placed.isPresent());
            if (r.nodesMin() == null && r.gpusPerNode() == null && r.memPerNodeMb() == null) {
                countOnly++;
                placed.ifPresent(shares -> assertThat(shares.stream().mapToInt(NodeShare::tasks).sum())
                        .isEqualTo(r.effectiveTasks()));
            }
        }
        assertThat(countOnly).isGreaterThan(1000);
    }

    private static JobRequest request(Random rnd) {
        int tasks = 1 + rnd.nextInt(20);
        JobRequest r = JobRequest.tasks(tasks);
        return switch (rnd.nextInt(6)) {
            case 0 -> new JobRequest(1 + rnd.nextInt(3), null, tasks, null, null, null, null, null);
            case 1 -> new JobRequest(null, null, tasks, null, null, 2048L, null, null);
            case 2 -> new JobRequest(null, null, tasks, null, 1 + rnd.nextInt(2), null, null, null);
            default -> r;
        };
    }
}
