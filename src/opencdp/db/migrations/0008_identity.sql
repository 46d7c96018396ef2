-- identity: imported records take a place in the event log's sequence, so identity
-- resolution can replay events and records in one order.
ALTER TABLE source_records ADD COLUMN seq BIGINT;
-- Which profile each identifier resolved to (derived: rebuilt from events and records). One row
-- per identifier; no key index, because DuckDB keeps indexes in memory and this table has a row
-- per identifier of every person (the resolver replaces rows itself).
CREATE TABLE identity_links (
    identifier_type  VARCHAR NOT NULL,
    identifier_value VARCHAR NOT NULL,
    profile_id       VARCHAR NOT NULL
);
-- Every merge with its cause: the identifier that linked the profiles and the observation.
CREATE TABLE identity_merges (
    survivor         VARCHAR NOT NULL,
    absorbed         VARCHAR NOT NULL,
    identifier_type  VARCHAR NOT NULL,
    identifier_value VARCHAR NOT NULL,
    origin           VARCHAR NOT NULL,
    seq              BIGINT NOT NULL,
    rule             VARCHAR NOT NULL
);
-- Identifiers a rule kept from linking (blocked value, limit, conflict, shared value).
CREATE TABLE identity_violations (
    identifier_type  VARCHAR NOT NULL,
    identifier_value VARCHAR NOT NULL,
    profile_id       VARCHAR,
    rule             VARCHAR NOT NULL,
    limit_type       VARCHAR,
    origin           VARCHAR NOT NULL,
    seq              BIGINT NOT NULL
);
-- Origins a user unmerged: their observations link nothing any more.
CREATE TABLE identity_unmerged (
    origin       VARCHAR PRIMARY KEY,
    unmerged_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
