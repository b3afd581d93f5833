-- Whether the job's completion record went out on sluice.jobcomp; set only after the broker acknowledged it.
ALTER TABLE jobs ADD COLUMN jobcomp_sent BOOLEAN NOT NULL DEFAULT FALSE;
