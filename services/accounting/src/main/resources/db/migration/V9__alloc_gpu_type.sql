-- The GPU type a job was given, from its allocation and the nodes' Gres: an untyped request (--gres=gpu:2) on
-- h100 nodes is accounted as gres/gpu:h100 too, as Slurm does. gpu_type stays what was asked for (ReqTRES).
ALTER TABLE jobs ADD COLUMN alloc_gpu_type TEXT;
