package dev.sluice.accounting.history;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;

/**
 * A job's row in {@code jobs}, read side only: the Kafka consumer writes it with version-guarded upserts
 * ({@link JobHistoryWriter}), which JPA cannot express.
 */
@Entity
@Table(name = "jobs")
public class JobRow {
    @Id
    @Column(name = "job_id")
    public long jobId;
    @Column(name = "job_name")
    public String jobName;
    @Column(name = "user_name")
    public String userName;
    public Integer uid;
    public Integer gid;
    public String account;
    @Column(name = "partition_name")
    public String partitionName;
    public String qos;
    @Column(name = "submit_time")
    public Instant submitTime;
    @Column(name = "req_cpus")
    public Integer reqCpus;
    @Column(name = "req_mem_mb")
    public Long reqMemMb;
    @Column(name = "req_nodes")
    public Integer reqNodes;
    @Column(name = "req_gpus")
    public Integer reqGpus;
    @Column(name = "gpu_type")
    public String gpuType;
    /** The type the allocation's GPUs have on their nodes (an untyped request gets one here). */
    @Column(name = "alloc_gpu_type")
    public String allocGpuType;
    @Column(name = "time_limit_minutes")
    public Integer timeLimitMinutes;
    @Column(name = "work_dir")
    public String workDir;
    @Column(name = "std_out")
    public String stdOut;
    @Column(name = "std_err")
    public String stdErr;
    @Column(name = "state_version")
    public Long stateVersion;
    public String state;
    public String reason;
    @Column(name = "state_detail")
    public String stateDetail;
    @Column(name = "eligible_time")
    public Instant eligibleTime;
    @Column(name = "start_time")
    public Instant startTime;
    @Column(name = "end_time")
    public Instant endTime;
    @Column(name = "exit_code")
    public Integer exitCode;
    @Column(name = "exit_signal")
    public Integer exitSignal;
    @Column(name = "node_list")
    public String nodeList;
    @Column(name = "alloc_time")
    public Instant allocTime;
    @Column(name = "alloc_cpus")
    public Integer allocCpus;
    @Column(name = "alloc_mem_mb")
    public Long allocMemMb;
    @Column(name = "alloc_nodes")
    public Integer allocNodes;
    @Column(name = "alloc_gpus")
    public Integer allocGpus;
    @Column(name = "alloc_node_names")
    public String allocNodeNames;
    /** An array task's or pending remainder's array job id; null for other jobs. */
    @Column(name = "array_job_id")
    public Long arrayJobId;
    /** An array task's index; null for the pending remainder. */
    @Column(name = "array_task_id")
    public Integer arrayTaskId;
    /** The pending remainder's ids still to run ({@code 5-9%2}). */
    @Column(name = "array_tasks")
    public String arrayTasks;

    /** sacct's JobID: {@code 42_4} for a task, {@code 42_[5-9%2]} for an array's pending remainder. */
    public String displayId() {
        if (arrayJobId == null) {
            return Long.toString(jobId);
        }
        if (arrayTaskId != null) {
            return arrayJobId + "_" + arrayTaskId;
        }
        return arrayTasks == null ? Long.toString(jobId) : arrayJobId + "_[" + arrayTasks + "]";
    }
}
