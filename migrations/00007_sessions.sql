-- +goose Up
-- A person's own signed-in sessions, to list and end them. scs keeps a session as an
-- opaque blob under its token, so it cannot say whose sessions there are; this table
-- can. A session counts only while its row here exists: ending one deletes the row
-- (and scs's), and a request in flight that writes scs's row back afterwards finds no
-- row here and is signed out.
CREATE TABLE user_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the scs session token: the token itself is a bearer secret and stays
    -- in scs's table alone.
    token_hash    bytea NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- written at most once a minute per session
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    -- a coarse description of the browser from its User-Agent, from a fixed list
    -- (never the header itself)
    browser       text NOT NULL,
    platform      text NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, created_at);

-- scs's rows are found by the hash when a session is ended from another one, and when
-- the retention job looks for rows whose session has gone.
CREATE INDEX sessions_token_hash ON sessions (sha256(token::bytea));

GRANT SELECT, INSERT, UPDATE, DELETE ON user_sessions TO lotse_app;

-- +goose Down
DROP INDEX sessions_token_hash;
DROP TABLE user_sessions;
