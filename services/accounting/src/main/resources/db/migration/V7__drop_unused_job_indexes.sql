-- Every job row gets new versions as its events arrive, and an update that changes an indexed column (submit,
-- state and end times do) adds an entry to every index of the table. Two of the five indexes answer no query any
-- more: jobs_user_submit_idx is covered by jobs_user_end_submit_idx (same leading user_name; sacct always has a
-- window or job ids), and jobs_submit_idx cannot narrow "submitted before the window's end", which is nearly
-- all of history. sacct's plans (user and day through jobs_user_end_submit_idx, all users through jobs_end_idx,
-- -j through the key) are unchanged; AccountingBench prints them.
DROP INDEX IF EXISTS jobs_user_submit_idx;
DROP INDEX IF EXISTS jobs_submit_idx;
