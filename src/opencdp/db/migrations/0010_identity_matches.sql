-- identity: probabilistic matches between imported records (Fellegi-Sunter), with the review
-- queue. A pair that is merged (automatically or accepted by a person) takes a place in the
-- log's sequence, so rebuilds replay it in order; rejected pairs are never proposed again.
-- One row per pair (record_l < record_r), kept so by the writer: no key index, which DuckDB
-- would hold in memory.
CREATE TABLE identity_matches (
    record_l          VARCHAR NOT NULL,  -- source_id:record_id
    record_r          VARCHAR NOT NULL,
    match_probability DOUBLE NOT NULL,
    match_weight      DOUBLE NOT NULL,
    decision          VARCHAR NOT NULL,  -- auto_merge | review (the model's)
    status            VARCHAR NOT NULL,  -- merged | pending | accepted | rejected
    explanation       JSON NOT NULL,
    seq               BIGINT,            -- set when merged or accepted
    proposed_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at        TIMESTAMPTZ
);
