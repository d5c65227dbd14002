-- +goose Up
CREATE TABLE consultations (
    id                uuid PRIMARY KEY,
    case_id           uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    advisor_id        uuid NOT NULL REFERENCES users (id),
    date              date NOT NULL,
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 600),
    prep_minutes      integer CHECK (prep_minutes >= 0),
    mode              text NOT NULL,
    topics            text[] NOT NULL,
    languages         text[] NOT NULL DEFAULT '{}',
    interpreter       boolean NOT NULL DEFAULT false,
    summary           text NOT NULL,
    next_steps        text,
    follow_up_on      date,
    phase             text NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consultations_case ON consultations (case_id, date DESC, id);
CREATE INDEX consultations_advisor_date ON consultations (advisor_id, date);

CREATE TABLE notes (
    id            uuid PRIMARY KEY,
    case_id       uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    author_id     uuid NOT NULL REFERENCES users (id),
    body          text NOT NULL,
    confidential  boolean NOT NULL DEFAULT false,
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_case ON notes (case_id, created_at DESC);

-- Notes are never silently rewritten: every edit keeps the earlier text here.
CREATE TABLE note_revisions (
    id            bigserial PRIMARY KEY,
    note_id       uuid NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    body          text NOT NULL,
    confidential  boolean NOT NULL,
    edited_at     timestamptz NOT NULL,
    UNIQUE (note_id, version)
);

CREATE TABLE milestones (
    id           uuid PRIMARY KEY,
    case_id      uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    type         text NOT NULL,
    target_on    date,
    achieved_on  date,
    note         text,
    created_by   uuid REFERENCES users (id),
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX milestones_case ON milestones (case_id);

CREATE TABLE follow_ups (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    consultation_id  uuid REFERENCES consultations (id) ON DELETE SET NULL,
    due_on           date NOT NULL,
    title            text NOT NULL,
    assignee_id      uuid NOT NULL REFERENCES users (id),
    created_by       uuid REFERENCES users (id),
    done_at          timestamptz,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX follow_ups_case ON follow_ups (case_id);
CREATE INDEX follow_ups_open_assignee ON follow_ups (assignee_id, due_on) WHERE done_at IS NULL;
CREATE INDEX follow_ups_open_case ON follow_ups (case_id, due_on) WHERE done_at IS NULL;

-- +goose Down
DROP TABLE follow_ups, milestones, note_revisions, notes, consultations;
