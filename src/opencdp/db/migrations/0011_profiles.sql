-- profiles: one row per resolved person, materialised from the identity links, identify
-- traits and imported records, so segments and computed traits read one row per profile.
-- Derived (rebuilt from the log); `computed` is written by the computed-traits stage.
CREATE TABLE profiles (
    profile_id  VARCHAR NOT NULL,
    traits      JSON,           -- golden record: the most recent value of each trait
    trait_times JSON,           -- when each trait's value was last stated
    computed    JSON,           -- computed trait values by name
    first_seen  TIMESTAMPTZ,
    last_seen   TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL
);
-- Each event with the profile it resolved to (events whose identifiers all were refused have
-- none). Rewritten for profiles that merge; what segments and computed traits aggregate.
CREATE TABLE profile_events (
    profile_id  VARCHAR NOT NULL,
    seq         BIGINT NOT NULL,
    source_id   VARCHAR NOT NULL,
    type        VARCHAR NOT NULL,
    event       VARCHAR,
    "timestamp" TIMESTAMPTZ NOT NULL,
    properties  JSON,
    traits      JSON,
    consent     JSON            -- context.consent.categoryPreferences, when the event has it
);
-- Scores the prediction stage writes; segments can use them when they exist.
CREATE TABLE profile_predictions (
    profile_id  VARCHAR NOT NULL,
    prediction  VARCHAR NOT NULL,
    value       DOUBLE,
    label       VARCHAR,
    scored_at   TIMESTAMPTZ NOT NULL
);
-- How far each derived stage has read the log.
CREATE TABLE derived_cursors (
    stage  VARCHAR PRIMARY KEY,
    seq    BIGINT NOT NULL
);
-- Consent per profile and purpose, the latest statement winning: from traits (`email_opt_in`,
-- `consent_advertising`, a `consents` object) and events' `context.consent.categoryPreferences`.
-- Derived like profiles; the privacy stage's consent ledger will write here too.
CREATE TABLE profile_consents (
    profile_id  VARCHAR NOT NULL,
    purpose     VARCHAR NOT NULL,
    granted     BOOLEAN NOT NULL,
    stated_at   TIMESTAMPTZ,
    origin      VARCHAR NOT NULL     -- 'trait' | 'event'
);
