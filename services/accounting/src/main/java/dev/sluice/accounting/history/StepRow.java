package dev.sluice.accounting.history;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

import java.io.Serializable;
import java.time.Instant;

/**
 * One node's part of a step in {@code job_steps}. A step that spans nodes has one row per node (each node agent
 * reports its own start, end and usage), and sacct folds them into one step line.
 */
@Entity
@Table(name = "job_steps")
@IdClass(StepRow.Key.class)
public class StepRow {
    public record Key(long jobId, String stepId, String node) implements Serializable {
        public Key() {
            this(0, null, null);
        }
    }

    @Id
    @Column(name = "job_id")
    public long jobId;
    @Id
    @Column(name = "step_id")
    public String stepId;
    @Id
    public String node;
    public Long pid;
    @Column(name = "start_time")
    public Instant startTime;
    @Column(name = "end_time")
    public Instant endTime;
    public String state;
    @Column(name = "exit_code")
    public Integer exitCode;
    @Column(name = "exit_signal")
    public Integer exitSignal;
    @Column(name = "cpu_user_ms")
    public Long cpuUserMs;
    @Column(name = "cpu_system_ms")
    public Long cpuSystemMs;
    @Column(name = "max_rss_kb")
    public Long maxRssKb;
    public String detail;
}
