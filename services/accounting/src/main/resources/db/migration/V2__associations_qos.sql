-- What sacctmgr administers. Limits are kept as Slurm writes them (name -> value text such as "gres/gpu=2"),
-- in JSONB, because the set of limit names grows with Slurm's and every consumer reads them by name.
CREATE TABLE acct_clusters (
    name TEXT PRIMARY KEY
);

CREATE TABLE acct_accounts (
    name          TEXT PRIMARY KEY,
    description   TEXT NOT NULL,
    organization  TEXT NOT NULL
);

CREATE TABLE acct_users (
    name             TEXT PRIMARY KEY,
    default_account  TEXT NOT NULL,
    admin_level      TEXT NOT NULL
);

-- user_name and partition_name are '' when absent, as in Slurm, so that the key is a plain primary key.
CREATE TABLE acct_associations (
    cluster         TEXT    NOT NULL,
    account         TEXT    NOT NULL,
    user_name       TEXT    NOT NULL,
    partition_name  TEXT    NOT NULL,
    parent_account  TEXT,
    shares          INTEGER NOT NULL,
    limits          JSONB   NOT NULL,
    qos             TEXT    NOT NULL,
    default_qos     TEXT,
    PRIMARY KEY (cluster, account, user_name, partition_name)
);

CREATE TABLE acct_qos (
    name         TEXT PRIMARY KEY,
    description  TEXT    NOT NULL,
    priority     INTEGER NOT NULL,
    limits       JSONB   NOT NULL
);
