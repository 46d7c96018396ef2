-- computed traits: named definitions over a profile's events and records; values live in
-- profiles.computed. `state` keeps what scoring a few profiles needs from the last full run
-- (RFM quintile thresholds); `computed_at` is when windowed values were last made current.
CREATE TABLE computed_traits (
    name         VARCHAR PRIMARY KEY,
    definition   JSON NOT NULL,
    builtin      BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    computed_at  TIMESTAMPTZ,
    state        JSON
);
-- For first/last traits: the (time, seq) of the event each profile's value came from, so a
-- newly arrived event replaces the value only when it is earlier (first) or later (last).
CREATE TABLE computed_trait_positions (
    name        VARCHAR NOT NULL,
    profile_id  VARCHAR NOT NULL,
    event_at    TIMESTAMPTZ NOT NULL,
    seq         BIGINT NOT NULL
);
