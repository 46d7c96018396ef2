-- privacy: data-subject requests (access, erasure), tracked as resumable jobs. `subject` holds
-- the identifier as given only while the request runs; afterwards only `subject_hash` (a keyed
-- hash of the resolved `type:value`) remains. `step` is the last step completed, so a request
-- left running by a crash resumes where it stopped; `target` is what an erasure found (kept
-- only until it completes). `receipt` says what was done, without personal data.
CREATE TABLE privacy_requests (
    request_id    VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,      -- 'access' | 'erasure'
    subject       VARCHAR,
    subject_hash  VARCHAR,
    status        VARCHAR NOT NULL,      -- 'received' | 'running' | 'completed' | 'failed'
    step          VARCHAR,
    target        JSON,
    origin        VARCHAR NOT NULL,      -- 'request' | 'journal' (re-applied after a restore)
    received_at   TIMESTAMPTZ NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    completed_at  TIMESTAMPTZ,
    receipt       JSON,
    error         VARCHAR
);
-- privacy: identifiers that must never be stored again (erased people), as keyed hashes of
-- `type:normalised value` (HMAC-SHA256 under a key derived from the master key). The collector
-- and importers drop messages and rows carrying one.
CREATE TABLE suppressions (
    hash           VARCHAR NOT NULL,
    request_id     VARCHAR,
    suppressed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- privacy: how many messages / rows were dropped because they carried a suppressed
-- identifier, per source, stage ('collect' | 'import') and day. Counts only, no identifiers.
CREATE TABLE suppression_drops (
    source_id  VARCHAR NOT NULL,
    stage      VARCHAR NOT NULL,
    day        DATE NOT NULL,
    dropped    BIGINT NOT NULL,
    PRIMARY KEY (source_id, stage, day)
);
-- privacy: retention policies. Events (and their profile copies) older than `max_age_days`,
-- of one source and/or one event name or type, are deleted; a policy without an event filter
-- also deletes the source's imported records not updated for that long.
CREATE TABLE retention_policies (
    name             VARCHAR PRIMARY KEY,
    source_id        VARCHAR,
    event            VARCHAR,
    max_age_days     INTEGER NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_applied_at  TIMESTAMPTZ,
    last_result      JSON
);
