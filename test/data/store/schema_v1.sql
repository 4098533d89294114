-- The results schema as version 1 of the store created it (src/store/schema.cc, migration 1),
-- frozen: store_test opens a database made from it to prove later builds still read it.
-- Never edit; a new schema version adds schema_v<N>.sql beside it.
CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  started_unix_ns  INTEGER NOT NULL,
  saved_unix_ns    INTEGER NOT NULL,
  name             TEXT NOT NULL,
  protocol         TEXT NOT NULL,
  requested_rps    REAL NOT NULL,
  achieved_rps     REAL NOT NULL,
  p50_ns           INTEGER NOT NULL,
  p99_ns           INTEGER NOT NULL,
  p999_ns          INTEGER NOT NULL,
  sent             INTEGER NOT NULL,
  completed        INTEGER NOT NULL,
  errors           INTEGER NOT NULL,
  duration_ns      INTEGER NOT NULL,
  worker_count     INTEGER NOT NULL,
  interrupted      INTEGER NOT NULL,
  partial          INTEGER NOT NULL,
  profile          TEXT,
  source           TEXT NOT NULL,
  host_name        TEXT NOT NULL,
  kernel_release   TEXT NOT NULL,
  cpu_model        TEXT NOT NULL,
  cpu_count        INTEGER NOT NULL,
  nightjar_version TEXT NOT NULL
);
CREATE INDEX runs_by_started ON runs(started_unix_ns);
CREATE INDEX runs_by_profile ON runs(profile, started_unix_ns);
CREATE TABLE run_labels (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX run_labels_by_key ON run_labels(key, value);
CREATE TABLE run_results (
  run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  result BLOB NOT NULL
);
