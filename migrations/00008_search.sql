-- +goose Up
-- Finding founders again, tolerant of accents and transliteration, and case lists whose
-- cost follows the page (README, "Performance").
--
-- Folding (lotse_fold) brings the spellings of one name together before trigrams compare
-- them, applied alike to what is stored and what is searched:
--   1. lower case, then unaccent (Öztürk → ozturk, Ayşe → ayse, Yılmaz → yilmaz, ß → ss);
--   2. German umlaut spellings: ae → a, oe → o, ue → u (Mueller = Müller = Muller);
--   3. common transliteration variants: tsch → ch, sch → sh (Schewtschenko =
--      Shevchenko), ou → u (Youssef), ee → i (Sameer), oo → u (Noor), ph → f (Mustapha),
--      j → y (Jusuf = Yusuf), w → v, q → k (Tariq), x → ks (Alexander = Aleksandr);
--   4. everything but letters and digits removed: hyphens, spaces, apostrophes
--      (Al-Sayed = Al Sayed = Alsayed, D'Angelo = Dangelo);
--   5. doubled letters made single (Hassan = Hasan, Mueller → muler; digits stay).
-- The skeleton (lotse_skeleton) of a folded word keeps its first letter and its
-- consonants: Arabic short vowels are written or left out at will (Fatma/Fatima,
-- Muhammad/Mohammed, Hussein/Husain all have one skeleton).
-- Both are IMMUTABLE: unaccent's rules file is part of the installation, and a change
-- of these rules needs a migration that rebuilds the columns below.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- SQL-standard bodies are bound when created, so the functions do not depend on the
-- search_path of whoever calls them (a generated column is computed for every role).
-- +goose StatementBegin
CREATE FUNCTION lotse_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN regexp_replace(regexp_replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
        public.unaccent('public.unaccent'::regdictionary, lower(t)),
        'tsch', 'ch'), 'sch', 'sh'), 'ae', 'a'), 'oe', 'o'), 'ue', 'u'), 'ou', 'u'), 'ee', 'i'),
        'oo', 'u'), 'ph', 'f'), 'j', 'y'), 'w', 'v'), 'q', 'k'), 'x', 'ks'),
    '[^a-z0-9]+', '', 'g'),
    '([a-z])\1+', '\1', 'g');
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION lotse_skeleton(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN regexp_replace(
    left(lotse_fold(t), 1) || regexp_replace(substr(lotse_fold(t), 2), '[aeiouy]+', '', 'g'),
    '([a-z])\1+', '\1', 'g');
-- +goose StatementEnd

-- A telephone number as digits: +49 and 0049 become the leading 0 of German numbers,
-- other countries keep their code without + or 00 (0170 1234567 = +49 170/123 45 67).
-- +goose StatementBegin
CREATE FUNCTION lotse_phone(p text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN regexp_replace(regexp_replace(regexp_replace(p, '[^0-9+]', '', 'g'),
    '^(\+|00)49', '0'), '^(\+|00)|\+', '', 'g');
-- +goose StatementEnd

-- The folded words are stored, not only indexed: a trigram match is rechecked on every
-- candidate row, and recomputing the folding there (unaccent is not inlined into an SQL
-- function) costs about 20 µs a field — 100 ms for a common name at 100,000 founders.
-- search_text: given name, family name and city, folded, one word each.
-- search_skeleton: the skeletons of given and family name.
-- Computing them for 100,000 founders takes longer than the application's statement
-- timeout (15 s): lift it for this migration's transaction.
SET LOCAL statement_timeout = 0;
ALTER TABLE founders
    ADD COLUMN search_text text NOT NULL GENERATED ALWAYS AS (
        lotse_fold(given_name) || ' ' || lotse_fold(family_name) || ' ' || coalesce(lotse_fold(city), '')) STORED,
    ADD COLUMN search_skeleton text NOT NULL GENERATED ALWAYS AS (
        lotse_skeleton(given_name) || ' ' || lotse_skeleton(family_name)) STORED;
CREATE INDEX founders_search_text ON founders USING gin (search_text gin_trgm_ops);
CREATE INDEX founders_search_skeleton ON founders USING gin (search_skeleton gin_trgm_ops);
-- Exact matches: e-mail (case-insensitive), telephone digits, postcode — per carrier,
-- as the duplicate check asks within one.
CREATE INDEX founders_email ON founders (lower(email));
CREATE INDEX founders_phone ON founders (lotse_phone(phone));
CREATE INDEX founders_postcode ON founders (postcode);
-- The old search index (lower(given || ' ' || family) with LIKE) is replaced by
-- search_text.
DROP INDEX founders_name_trgm;

-- Case lists walk (opened_on, id) descending within one scope branch (cases.go,
-- caseSummaries): the carrier's and the lead's index existed; the global list of
-- programme managers gets its own, and a lead's cases within one carrier theirs ("my
-- cases": with the lead's index alone, PostgreSQL, not knowing that a lead's cases lie
-- in one carrier, took the lead's and the whole carrier's cases as two bitmaps).
CREATE INDEX cases_opened ON cases (opened_on DESC, id DESC);
CREATE INDEX cases_lead_carrier_opened ON cases (lead_advisor_id, carrier_id, opened_on DESC, id DESC);

-- +goose Down
DROP INDEX cases_lead_carrier_opened, cases_opened;
CREATE INDEX founders_name_trgm ON founders
    USING gin ((lower(given_name || ' ' || family_name)) gin_trgm_ops);
DROP INDEX founders_postcode, founders_phone, founders_email;
ALTER TABLE founders DROP COLUMN search_skeleton, DROP COLUMN search_text;
DROP FUNCTION lotse_phone(text), lotse_skeleton(text), lotse_fold(text);
