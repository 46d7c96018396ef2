-- computed traits: named definitions over a profile's events and records; values live in
-- profiles.computed.
CREATE TABLE computed_traits (
    name         VARCHAR PRIMARY KEY,
    definition   JSON NOT NULL,
    builtin      BOOLEAN NOT NULL DEFAULT false,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    computed_at  TIMESTAMPTZ
);
