-- +goose Up
-- A second factor for signing in: a TOTP secret (RFC 6238) per account, switched on
-- once the person confirmed a code, and one-time recovery codes kept as hashes.

-- totp_secret is the base32 secret the authenticator app holds too: whoever reads it
-- can make codes, so it is protected like the password hashes next to it.
-- totp_last_step is the 30-second time step of the last code accepted: a code is
-- accepted only for a later step, so each code works once.
ALTER TABLE users
    ADD COLUMN totp_secret     text,
    ADD COLUMN totp_enabled_at timestamptz,
    ADD COLUMN totp_last_step  bigint,
    ADD CONSTRAINT users_totp_complete CHECK ((totp_secret IS NULL) = (totp_enabled_at IS NULL));

-- SHA-256 of each unused recovery code (random, 50 bits: no salt or slow hash needed,
-- and sign-in throttling bounds guessing); a used code is deleted.
CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, code_hash)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO lotse_app;

-- +goose Down
DROP TABLE recovery_codes;
ALTER TABLE users DROP CONSTRAINT users_totp_complete,
    DROP COLUMN totp_secret, DROP COLUMN totp_enabled_at, DROP COLUMN totp_last_step;
