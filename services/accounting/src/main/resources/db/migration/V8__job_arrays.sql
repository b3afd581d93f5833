-- Job arrays. Each task is its own row (job_id = the task's job id) with its array job id and index; an array's
-- pending remainder is the row of its lowest pending task, with array_tasks the ids still pending (5-9%2), so sacct
-- shows 42_4 and 42_[5-9%2] as Slurm does. The scheduler's JobStateChanged carries these ids.
ALTER TABLE jobs ADD COLUMN array_job_id BIGINT;
ALTER TABLE jobs ADD COLUMN array_task_id INTEGER;
ALTER TABLE jobs ADD COLUMN array_tasks TEXT;
CREATE INDEX jobs_array_job_idx ON jobs (array_job_id) WHERE array_job_id IS NOT NULL;

-- A task has no JobSubmitted of its own: its row takes the array's submission (user, account, request, ...),
-- whichever of the two rows is written first. The writer never touches these columns of a row without a
-- JobSubmitted, so what is copied stays.
CREATE FUNCTION jobs_array_task_from_array() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.array_job_id IS NOT NULL AND NEW.job_id <> NEW.array_job_id AND NEW.submit_time IS NULL THEN
        SELECT a.job_name, a.user_name, a.uid, a.gid, a.account, a.partition_name, a.qos, a.submit_time,
               a.req_cpus, a.req_mem_mb, a.req_nodes, a.req_gpus, a.gpu_type, a.time_limit_minutes, a.work_dir,
               a.std_out, a.std_err
          INTO NEW.job_name, NEW.user_name, NEW.uid, NEW.gid, NEW.account, NEW.partition_name, NEW.qos,
               NEW.submit_time, NEW.req_cpus, NEW.req_mem_mb, NEW.req_nodes, NEW.req_gpus, NEW.gpu_type,
               NEW.time_limit_minutes, NEW.work_dir, NEW.std_out, NEW.std_err
          FROM jobs a WHERE a.job_id = NEW.array_job_id AND a.submit_time IS NOT NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER jobs_array_task_fill BEFORE INSERT OR UPDATE ON jobs
    FOR EACH ROW WHEN (NEW.array_job_id IS NOT NULL AND NEW.submit_time IS NULL)
    EXECUTE FUNCTION jobs_array_task_from_array();

-- The array's submission read after its tasks' rows (a replay): fill them now.
CREATE FUNCTION jobs_array_fill_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE jobs t SET job_name = NEW.job_name, user_name = NEW.user_name, uid = NEW.uid, gid = NEW.gid,
           account = NEW.account, partition_name = NEW.partition_name, qos = NEW.qos,
           submit_time = NEW.submit_time, req_cpus = NEW.req_cpus, req_mem_mb = NEW.req_mem_mb,
           req_nodes = NEW.req_nodes, req_gpus = NEW.req_gpus, gpu_type = NEW.gpu_type,
           time_limit_minutes = NEW.time_limit_minutes, work_dir = NEW.work_dir, std_out = NEW.std_out,
           std_err = NEW.std_err
     WHERE t.array_job_id = NEW.job_id AND t.job_id <> NEW.job_id AND t.submit_time IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER jobs_array_fill_tasks AFTER INSERT OR UPDATE OF submit_time ON jobs
    FOR EACH ROW WHEN (NEW.submit_time IS NOT NULL AND NEW.array_job_id = NEW.job_id)
    EXECUTE FUNCTION jobs_array_fill_tasks();
