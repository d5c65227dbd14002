-- +goose Up
-- The administrator's day: accounts carry a version (an edit based on an older one is
-- refused, as for cases and founders), a flag that the password was set by someone
-- else and must be changed at the next sign-in, and a search and sort that an account
-- list of a few thousand rows answers from indexes.
ALTER TABLE users
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    -- set when an administrator sets the password (a new account, a reset); the person
    -- reaches nothing but the change of it until they have chosen their own
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- unaccent is no IMMUTABLE function (its dictionary could change), so an index cannot
-- use it directly; this wrapper names the dictionary and is declared IMMUTABLE, as the
-- PostgreSQL documentation suggests. Folding: without accents, lower case ("Çelik" →
-- "celik", "Jürgen" → "jurgen", "ß" → "ss").
CREATE EXTENSION IF NOT EXISTS unaccent;
-- +goose StatementBegin
CREATE FUNCTION user_search_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
-- +goose StatementEnd

-- Substring search over name and e-mail (trigram index: LIKE '%…%'). The folded text
-- is stored, so that checking a candidate row (and a plan that filters rows in the
-- list's order) compares text instead of calling unaccent once per row.
ALTER TABLE users ADD COLUMN search_text text GENERATED ALWAYS AS (user_search_fold(name || ' ' || email)) STORED;
CREATE INDEX users_search ON users USING gin (search_text gin_trgm_ops);
-- The sort orders of the account list, each with id last so that pages follow on
-- (keyset); by e-mail uses users_email_key (lower(email), unique).
CREATE INDEX users_by_name ON users (lower(name), id);
-- (active first: NOT active is false for them)
CREATE INDEX users_by_status ON users ((NOT active), lower(name), id);

-- +goose Down
DROP INDEX users_by_status;
DROP INDEX users_by_name;
DROP INDEX users_search;
ALTER TABLE users DROP COLUMN search_text;
DROP FUNCTION user_search_fold(text);
ALTER TABLE users DROP COLUMN must_change_password, DROP COLUMN version;
