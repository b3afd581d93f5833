-- Job arrays: a task is its own row (job_id = the task's job id) with its array job id and index; the pending
-- remainder of an array is the row of its lowest pending task, with array_tasks the ids still pending (5-9%2).
ALTER TABLE jobs ADD COLUMN array_job_id BIGINT;
ALTER TABLE jobs ADD COLUMN array_task_id INTEGER;
ALTER TABLE jobs ADD COLUMN array_tasks TEXT;
CREATE INDEX jobs_array_job_id ON jobs (array_job_id) WHERE array_job_id IS NOT NULL;
