-- sacct -u U -S s -E e asks for U's jobs with submit_time <= e AND (end_time IS NULL OR end_time >= s). With only
-- (user_name, submit_time) Postgres reads every job U submitted before e from the heap to test end_time (3,600
-- heap blocks for one day 100 days back in a 1,000,000-job table). This index answers both halves of the OR from
-- the index (user and end_time as the range, submit_time checked in the index), so the heap is read only for the
-- jobs shown.
CREATE INDEX jobs_user_end_submit_idx ON jobs (user_name, end_time, submit_time);
