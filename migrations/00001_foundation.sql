-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE carriers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    short_name  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX carriers_name_key ON carriers (lower(name));
CREATE UNIQUE INDEX carriers_short_name_key ON carriers (lower(short_name));

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    password_hash  text NOT NULL,
    languages      text[] NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    -- bumped on deactivation and password change: sessions carry the epoch they were
    -- created in and stop working when it moves on.
    session_epoch  integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('advisor', 'coordinator', 'programme_manager', 'admin')),
    carrier_id  uuid REFERENCES carriers (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((role IN ('advisor', 'coordinator')) = (carrier_id IS NOT NULL))
);
CREATE UNIQUE INDEX memberships_key
    ON memberships (user_id, role, coalesce(carrier_id, '00000000-0000-0000-0000-000000000000'));
CREATE INDEX memberships_carrier ON memberships (carrier_id, role);

-- scs/postgresstore's table.
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    expires_on  date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_attempts (
    id      bigserial PRIMARY KEY,
    email   text NOT NULL,
    address text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email ON login_attempts (email, at);
CREATE INDEX login_attempts_address ON login_attempts (address, at);

CREATE TABLE founders (
    id                          uuid PRIMARY KEY,
    carrier_id                  uuid NOT NULL REFERENCES carriers (id),
    given_name                  text NOT NULL,
    family_name                 text NOT NULL,
    birth_year                  integer,
    gender                      text NOT NULL DEFAULT 'unspecified',
    email                       text,
    phone                       text,
    postcode                    text,
    city                        text,
    country_of_birth            text,
    nationalities               text[] NOT NULL DEFAULT '{}',
    languages                   text[] NOT NULL DEFAULT '{}',
    german_level                text NOT NULL DEFAULT 'unknown',
    education_isced             text NOT NULL DEFAULT 'unknown',
    employment_status_at_entry  text NOT NULL DEFAULT 'unknown',
    arrival_year                integer,
    referral_source             text,
    disability                  text NOT NULL DEFAULT 'not_stated',
    foreign_background          text NOT NULL DEFAULT 'not_stated',
    homeless                    text NOT NULL DEFAULT 'not_stated',
    version                     integer NOT NULL DEFAULT 1,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX founders_carrier ON founders (carrier_id);
CREATE INDEX founders_name_trgm ON founders
    USING gin ((lower(given_name || ' ' || family_name)) gin_trgm_ops);

CREATE TABLE cases (
    id                   uuid PRIMARY KEY,
    carrier_id           uuid NOT NULL REFERENCES carriers (id),
    founder_id           uuid NOT NULL REFERENCES founders (id),
    phase                text NOT NULL CHECK (phase IN ('founding', 'consolidation', 'handover')),
    status               text NOT NULL CHECK (status IN ('active', 'paused', 'closed')),
    closing_reason       text,
    lead_advisor_id      uuid NOT NULL REFERENCES users (id),
    business_idea        text NOT NULL DEFAULT '',
    business_sector      text,
    business_legal_form  text,
    business_founded_on  date,
    business_employees   integer,
    opened_on            date NOT NULL,
    closed_on            date,
    version              integer NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'closed') = (closing_reason IS NOT NULL))
);
-- Case lists are newest first: keyset pagination walks (opened_on, id) descending.
CREATE INDEX cases_carrier_opened ON cases (carrier_id, opened_on DESC, id DESC);
CREATE INDEX cases_lead_opened ON cases (lead_advisor_id, opened_on DESC, id DESC);
CREATE INDEX cases_founder ON cases (founder_id);

CREATE TABLE case_co_advisors (
    case_id  uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_co_advisors_user ON case_co_advisors (user_id, case_id);

CREATE TABLE phase_transitions (
    id          bigserial PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_phase  text,
    to_phase    text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    by_user     uuid REFERENCES users (id),
    reason      text
);
CREATE INDEX phase_transitions_case ON phase_transitions (case_id, at);

CREATE TABLE status_changes (
    id           bigserial PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_status  text NOT NULL,
    to_status    text NOT NULL,
    reason       text,
    note         text,
    at           timestamptz NOT NULL DEFAULT now(),
    by_user      uuid REFERENCES users (id)
);
CREATE INDEX status_changes_case ON status_changes (case_id, at);

CREATE TABLE audit_events (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     uuid,
    action       text NOT NULL,
    object_type  text,
    object_id    uuid,
    carrier_id   uuid,
    request_id   text,
    outcome      text NOT NULL
);
CREATE INDEX audit_events_object ON audit_events (object_id, id);
CREATE INDEX audit_events_carrier ON audit_events (carrier_id, id);

-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- A creating POST with an Idempotency-Key claims its key in the same transaction that
-- writes the object, so a retry (on any instance) finds the first object's id.
CREATE TABLE idempotency_keys (
    user_id       uuid NOT NULL,
    key           text NOT NULL,
    route         text NOT NULL,
    request_hash  bytea NOT NULL,
    resource_id   uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys, audit_events, status_changes, phase_transitions,
    case_co_advisors, cases, founders, login_attempts, api_tokens, sessions, memberships,
    users, carriers;
DROP FUNCTION audit_events_append_only;
