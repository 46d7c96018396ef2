-- privacy: the consent ledger. One row per consent statement, never updated: who stated it
-- (the identifier, and the event or imported record it came from), for which purpose,
-- granted or denied, on which legal basis, through which channel, when, under which policy
-- version, until when, and where. `profile_consents` is derived from it through identity
-- (privacy/ledger.py); statements from the log are read with their own cursor
-- (derived_cursors 'consent_ledger'), which a rebuild of identities does not reset.
CREATE SEQUENCE consent_statement_ids START 1;
CREATE TABLE consent_ledger (
    statement_id    BIGINT NOT NULL DEFAULT nextval('consent_statement_ids'),
    subject_type    VARCHAR NOT NULL,   -- identifier type: user_id, email, anonymous_id, ...
    subject_value   VARCHAR NOT NULL,
    seq             BIGINT,             -- the event or record it came from (NULL: the API)
    purpose         VARCHAR NOT NULL,   -- a built-in purpose or one of consent_purposes
    granted         BOOLEAN NOT NULL,
    legal_basis     VARCHAR NOT NULL,   -- consent | contract | legal_obligation |
                                        -- vital_interest | public_task | legitimate_interest
    source          VARCHAR NOT NULL,   -- event | import | api | gpc
    stated_at       TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    policy_version  VARCHAR,
    expires_at      TIMESTAMPTZ,        -- a grant no longer counts from then on
    jurisdiction    VARCHAR,            -- e.g. GDPR, CCPA, PDPA, APPI, or a country code
    note            VARCHAR             -- free text from the API (a form number, a call)
);
-- Purposes registered by the user, and extra names (a CMP's category ids such as "C0004")
-- for any purpose, built-in ones included. Built-in purposes are not stored here.
CREATE TABLE consent_purposes (
    purpose      VARCHAR PRIMARY KEY,
    description  VARCHAR,
    aliases      VARCHAR[] NOT NULL DEFAULT [],
    builtin      BOOLEAN NOT NULL DEFAULT false,   -- a row only adding aliases to a built-in
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The effective consent now names the statement that decided it.
ALTER TABLE profile_consents ADD COLUMN subject VARCHAR;      -- `type:value` of the statement
ALTER TABLE profile_consents ADD COLUMN legal_basis VARCHAR;
ALTER TABLE profile_consents ADD COLUMN expires_at TIMESTAMPTZ;  -- a grant holds until then
ALTER TABLE profile_consents ADD COLUMN statement_id BIGINT;
