-- jobcomp's "sent" marks move out of jobs into a table of their own: jobcomp now goes out on a worker thread
-- beside the history consumer, and marking the rows the consumer is updating would make the two wait on (and
-- deadlock over) each other's row locks. It also spares every job row one more version (and its index entries).
CREATE TABLE jobcomp_sent (
    job_id BIGINT PRIMARY KEY
);
INSERT INTO jobcomp_sent SELECT job_id FROM jobs WHERE jobcomp_sent;
ALTER TABLE jobs DROP COLUMN jobcomp_sent;
