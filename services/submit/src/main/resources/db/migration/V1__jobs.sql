-- Job ids come from here so they stay unique and increasing across restarts.
CREATE SEQUENCE job_id_seq START WITH 1 INCREMENT BY 1;

-- The read model behind GET /api/v1/jobs, rebuilt from Kafka if lost.
CREATE TABLE jobs (
    job_id             BIGINT PRIMARY KEY,
    version            BIGINT      NOT NULL DEFAULT 0,
    state              TEXT        NOT NULL DEFAULT 'PENDING',
    reason             TEXT        NOT NULL DEFAULT 'None',
    name               TEXT,
    user_name          TEXT,
    uid                INTEGER,
    gid                INTEGER,
    partition          TEXT,
    account            TEXT,
    qos                TEXT,
    submit_time        TIMESTAMPTZ,
    start_time         TIMESTAMPTZ,
    end_time           TIMESTAMPTZ,
    time_limit_minutes INTEGER,
    nodes              TEXT,
    num_nodes          INTEGER,
    num_cpus           INTEGER,
    ntasks             INTEGER,
    cpus_per_task      INTEGER,
    mem_mb             BIGINT,
    exit_code          INTEGER,
    signal             INTEGER,
    work_dir           TEXT,
    stdout             TEXT,
    stderr             TEXT
);
CREATE INDEX jobs_user_state ON jobs (user_name, state);

-- Names this database's read model. The Kafka consumer group is derived from it, so a fresh database (or a
-- restored empty one) reads the job topics from the beginning, while instances sharing one database share the work.
CREATE TABLE read_model (id TEXT PRIMARY KEY);
INSERT INTO read_model VALUES (gen_random_uuid()::text);
