-- The GPU type a job asked for (--gres=gpu:h100:2 -> h100), so usage and billing can be told per type
-- (TRES gres/gpu:h100 beside gres/gpu). NULL for untyped requests and jobs without GPUs.
ALTER TABLE jobs ADD COLUMN gpu_type TEXT;
