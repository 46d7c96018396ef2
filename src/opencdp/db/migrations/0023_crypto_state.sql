-- field encryption: the mode a data directory was created in (crypto/mode.py), and the
-- vault of identifier plaintexts, each sealed under its own pseudonym's data key, so exports
-- and destinations can get from a pseudonym back to the address (crypto/personal.py).
CREATE TABLE crypto_state (
    field_encryption BOOLEAN NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE identifier_values (
    identifier VARCHAR NOT NULL,  -- `type:<pseudonym>` as stored everywhere else
    token VARCHAR NOT NULL        -- the value, sealed under the pseudonym's key
);
