-- +goose Up
-- Data protection: consents, restriction after an erasure request, an audit trail that
-- can be read per case, and the server's own least-privileged role.

-- A founder's consents: one row per act (granted or withdrawn), never updated, so the
-- history stays; the newest row per purpose is the current state.
CREATE TABLE consents (
    id            uuid PRIMARY KEY,
    founder_id    uuid NOT NULL REFERENCES founders (id) ON DELETE CASCADE,
    purpose       text NOT NULL
                  CHECK (purpose IN ('counselling', 'esf_reporting', 'referral', 'follow_up_survey')),
    granted       boolean NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    text_version  text NOT NULL,
    language      text NOT NULL,
    recorded_by   uuid REFERENCES users (id)
);
CREATE INDEX consents_founder ON consents (founder_id, purpose, at DESC, id DESC);

-- Art. 17 inside the retention period: the founder's names, contact data and free texts
-- are removed and the founder's cases take no more changes (Art. 18 restriction); the
-- retention job erases the founder for good once the retention period has ended.
ALTER TABLE founders ADD COLUMN restricted_at timestamptz, ADD COLUMN restriction_reason text;
CREATE INDEX founders_restricted ON founders (restricted_at) WHERE restricted_at IS NOT NULL;

-- Events about a case's parts (consultations, notes, milestones, follow-ups) name the
-- case too, so "who read or changed this case?" is one index range.
ALTER TABLE audit_events ADD COLUMN case_id uuid;
ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only;
UPDATE audit_events SET case_id = object_id WHERE object_type = 'case';
UPDATE audit_events e SET case_id = p.case_id
FROM (SELECT id, case_id FROM consultations UNION ALL SELECT id, case_id FROM notes
      UNION ALL SELECT id, case_id FROM milestones UNION ALL SELECT id, case_id FROM follow_ups) p
WHERE e.object_id = p.id;
ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only;
CREATE INDEX audit_events_case ON audit_events (case_id, id) WHERE case_id IS NOT NULL;
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_action ON audit_events (action, id);
-- TRUNCATE does not fire row triggers: the append-only rule needs its own.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The server's role. Migrations run as the schema owner; the server connects as a login
-- role that is a member of lotse_app and may read and write the application's tables,
-- but only add to and read the audit trail — no UPDATE, DELETE or TRUNCATE there, no
-- DDL anywhere, no trigger changes (only an owner may alter a table). The role is
-- created here when it does not exist (that needs CREATEROLE); an operator without it
-- creates lotse_app beforehand (README, "Database roles").
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lotse_app') THEN
        CREATE ROLE lotse_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- another database of the cluster created it at the same moment
END;
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO lotse_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    carriers, users, memberships, sessions, api_tokens, login_attempts, founders, cases,
    case_co_advisors, phase_transitions, status_changes, idempotency_keys, consultations,
    notes, note_revisions, milestones, follow_ups, consents,
    stats_case_month, stats_phase_month, stats_founders
    TO lotse_app;
GRANT SELECT, INSERT ON audit_events TO lotse_app;
GRANT SELECT ON pseudonym_key, goose_db_version TO lotse_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO lotse_app;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM lotse_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM lotse_app;
REVOKE USAGE ON SCHEMA public FROM lotse_app;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP INDEX audit_events_action, audit_events_actor, audit_events_case;
ALTER TABLE audit_events DROP COLUMN case_id;
ALTER TABLE founders DROP COLUMN restricted_at, DROP COLUMN restriction_reason;
DROP TABLE consents;
