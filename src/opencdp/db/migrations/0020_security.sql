-- Security: people who log in and the API tokens they hold.
-- Passwords are argon2id hashes; tokens are kept only as SHA-256 of a 256-bit secret, so
-- neither can be read back from the database or a backup.
CREATE TABLE users (
    user_id             VARCHAR PRIMARY KEY,
    name                VARCHAR NOT NULL UNIQUE,
    role                VARCHAR NOT NULL,
    password_hash       VARCHAR,
    disabled            BOOLEAN NOT NULL DEFAULT false,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    password_changed_at TIMESTAMPTZ
);
-- kind: 'api' (created by a person, scoped, for scripts) or 'session' (issued at login).
-- scopes: what the token may do, intersected with its owner's role at every request.
-- prefix: the first characters of the token, enough to recognise it in a list.
CREATE TABLE api_tokens (
    token_id        VARCHAR PRIMARY KEY,
    user_id         VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    name            VARCHAR NOT NULL,
    token_hash      BLOB NOT NULL,
    prefix          VARCHAR NOT NULL,
    scopes          VARCHAR[] NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ,
    last_used_at    TIMESTAMPTZ,
    revoked_at      TIMESTAMPTZ,
    created_by      VARCHAR NOT NULL
);
