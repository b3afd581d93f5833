-- Job history as accounting learns it from Kafka. Every column is filled by an idempotent upsert, and the submit
-- side and the scheduler side of a job may arrive in either order (different topics), so almost every column is
-- nullable: a row can exist for a state event before its JobSubmitted has been read.
CREATE TABLE jobs (
    job_id              BIGINT PRIMARY KEY,
    -- from JobSubmitted (sluice.job.commands)
    job_name            TEXT,
    user_name           TEXT,
    uid                 INTEGER,
    gid                 INTEGER,
    account             TEXT,
    partition_name      TEXT,
    qos                 TEXT,
    submit_time         TIMESTAMPTZ,
    req_cpus            INTEGER,
    req_mem_mb          BIGINT,
    req_nodes           INTEGER,
    req_gpus            INTEGER,
    time_limit_minutes  INTEGER,
    work_dir            TEXT,
    std_out             TEXT,
    std_err             TEXT,
    -- from JobStateChanged (sluice.job.events): only the highest version is kept
    state_version       BIGINT,
    state               TEXT,
    reason              TEXT,
    state_detail        TEXT,
    eligible_time       TIMESTAMPTZ,
    start_time          TIMESTAMPTZ,
    end_time            TIMESTAMPTZ,
    exit_code           INTEGER,
    exit_signal         INTEGER,
    node_list           TEXT,
    -- from AllocationGranted (sluice.job.events): the latest grant wins
    alloc_time          TIMESTAMPTZ,
    alloc_cpus          INTEGER,
    alloc_mem_mb        BIGINT,
    alloc_nodes         INTEGER,
    alloc_gpus          INTEGER,
    alloc_node_names    TEXT
);

-- sacct's two common shapes: "my jobs since X" and "jobs still in the window" (not ended before start).
CREATE INDEX jobs_user_submit_idx ON jobs (user_name, submit_time);
CREATE INDEX jobs_submit_idx ON jobs (submit_time);
CREATE INDEX jobs_end_idx ON jobs (end_time);

-- One row per node of a step: a multi-node step is reported by every node's agent, and keeping each node's
-- report on its own row is what makes a replay leave the usage sums unchanged. sacct folds them per step.
CREATE TABLE job_steps (
    job_id         BIGINT      NOT NULL,
    step_id        TEXT        NOT NULL,
    node           TEXT        NOT NULL,
    pid            BIGINT,
    start_time     TIMESTAMPTZ,
    end_time       TIMESTAMPTZ,
    state          TEXT,
    exit_code      INTEGER,
    exit_signal    INTEGER,
    cpu_user_ms    BIGINT,
    cpu_system_ms  BIGINT,
    max_rss_kb     BIGINT,
    detail         TEXT,
    PRIMARY KEY (job_id, step_id, node)
);
