-- segments: definitions (JSON tree and its text form), current members, and every entry and
-- exit with its time.
CREATE TABLE segments (
    segment_id    VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL UNIQUE,
    description   VARCHAR,
    definition    JSON NOT NULL,
    text          VARCHAR NOT NULL,
    realtime      BOOLEAN NOT NULL DEFAULT true,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    evaluated_at  TIMESTAMPTZ,
    member_count  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE segment_members (
    segment_id  VARCHAR NOT NULL,
    profile_id  VARCHAR NOT NULL,
    entered_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE segment_history (
    segment_id  VARCHAR NOT NULL,
    profile_id  VARCHAR NOT NULL,
    change      VARCHAR NOT NULL,   -- 'entered' | 'exited'
    changed_at  TIMESTAMPTZ NOT NULL,
    reason      VARCHAR NOT NULL    -- 'evaluation' | 'realtime' | 'merged' | 'deleted'
);
