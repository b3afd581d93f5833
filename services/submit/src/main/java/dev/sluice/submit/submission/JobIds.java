package dev.sluice.submit.submission;

import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;

/**
 * Job ids from PostgreSQL's {@code job_id_seq}. An array needs a block of consecutive ids (task i runs as the array
 * job id plus i's position), which nextval alone does not promise while other submissions draw ids at the same
 * time: a block with a gap is thrown away and drawn again. Slurm's ids have gaps too, so none are given back.
 */
@ApplicationScoped
public class JobIds {
    private static final int ATTEMPTS = 100;

    private final Pool pool;

    public JobIds(Pool pool) {
        this.pool = pool;
    }

    /** The first of {@code count} consecutive fresh job ids. */
    public long reserve(int count) {
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            List<Long> ids = new ArrayList<>(count);
            for (Row r : pool.preparedQuery("SELECT nextval('job_id_seq') FROM generate_series(1, $1)")
                    .execute(Tuple.of(count)).await().indefinitely()) {
                ids.add(r.getLong(0));
            }
            ids.sort(null);
            if (ids.getLast() - ids.getFirst() == count - 1) {
                return ids.getFirst();
            }
        }
        throw new IllegalStateException("no block of " + count + " consecutive job ids after " + ATTEMPTS + " tries");
    }
}
