package dev.sluice.accounting.ingest;

import dev.sluice.contracts.job.JobState;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The history table goes away while events arrive (here: renamed, so every write fails as it would with the
 * database down): the consumer keeps the batch, retries it and loses nothing once the table is back, and writes
 * each job once. The consumer overlaps a batch's transaction with polling the next, so a failure must rewind
 * both.
 */
@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "database", value = "accounting"))
class DatabaseOutageTest {
    @Inject
    DataSource dataSource;
    @Inject
    HistoryConsumer consumer;

    @Test
    void eventsThatArriveWhileTheDatabaseFailsAreWrittenOnceItIsBack() throws Exception {
        TestKafka.awaitConsumed();
        long failuresBefore = consumer.stats().failures.sum();
        sql("ALTER TABLE jobs RENAME TO jobs_during_outage");
        List<Long> ids = List.of(9911L, 9912L, 9913L);
        try {
            Instant t = Instant.parse("2026-03-01T10:00:00Z");
            for (long id : ids) {
                TestKafka.send(JobLife.lifecycle(id, "olga", t, t.plusSeconds(10), t.plusSeconds(70),
                        JobState.COMPLETED, 0));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (consumer.stats().failures.sum() == failuresBefore) {
                assertThat(System.nanoTime()).as("the consumer never hit the missing table").isLessThan(deadline);
                Thread.sleep(100);
            }
        } finally {
            sql("ALTER TABLE jobs_during_outage RENAME TO jobs");
        }
        TestKafka.awaitConsumed();
        List<String> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             ResultSet r = c.createStatement().executeQuery(
                     "SELECT job_id, state FROM jobs WHERE job_id IN (9911, 9912, 9913) ORDER BY job_id")) {
            while (r.next()) {
                rows.add(r.getLong(1) + " " + r.getString(2));
            }
        }
        assertThat(rows).containsExactly("9911 COMPLETED", "9912 COMPLETED", "9913 COMPLETED");
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.createStatement().execute(statement);
        }
    }
}
