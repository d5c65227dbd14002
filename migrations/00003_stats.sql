-- +goose Up
-- Statistics maintained as the case history changes (package internal/stats): every
-- change to phase_transitions, status_changes, consultations or a case's carrier or
-- founder recomputes that case's contribution in the same transaction, and adds the
-- difference to small per-carrier, per-phase, per-month tables that the statistics read.
-- Months are Berlin calendar months; a "month" column holds the month's first day.

-- One case's contribution to each (phase, month): the case's part of every figure.
-- It is what a change subtracts before adding the new contribution, so it has no
-- foreign key: it must outlive the case row until the case's deletion is counted.
CREATE TABLE stats_case_month (
    case_id              uuid NOT NULL,
    phase                text NOT NULL,
    month                date NOT NULL,
    carrier_id           uuid NOT NULL,
    founder_id           uuid NOT NULL,
    -- change of "open in this phase at the end of the month" (+1 entering, -1 leaving)
    active               integer NOT NULL,
    opened               integer NOT NULL,
    entered              integer NOT NULL,
    closed_consolidated  integer NOT NULL,
    closed_handed_over   integer NOT NULL,
    closed_abandoned     integer NOT NULL,
    closed_referred      integer NOT NULL,
    closed_business_closed integer NOT NULL,
    closed_no_contact    integer NOT NULL,
    closed_other         integer NOT NULL,
    consultations        integer NOT NULL,
    minutes              integer NOT NULL,
    first_contacts       integer NOT NULL
);
-- Not unique: a refresh deletes a case's rows and inserts the new ones in one statement.
CREATE INDEX stats_case_month_case ON stats_case_month (case_id);
-- Distinct founders: is a founder seen in a carrier, phase and month range?
CREATE INDEX stats_case_month_founder ON stats_case_month (founder_id, carrier_id, phase, month)
    WHERE consultations > 0;

-- The sum of the case contributions per carrier, phase and month.
CREATE TABLE stats_phase_month (
    carrier_id           uuid NOT NULL,
    phase                text NOT NULL,
    month                date NOT NULL,
    active               integer NOT NULL,
    opened               integer NOT NULL,
    entered              integer NOT NULL,
    closed_consolidated  integer NOT NULL,
    closed_handed_over   integer NOT NULL,
    closed_abandoned     integer NOT NULL,
    closed_referred      integer NOT NULL,
    closed_business_closed integer NOT NULL,
    closed_no_contact    integer NOT NULL,
    closed_other         integer NOT NULL,
    consultations        integer NOT NULL,
    minutes              bigint NOT NULL,
    first_contacts       integer NOT NULL,
    PRIMARY KEY (carrier_id, phase, month)
);

-- Distinct founders with a consultation per carrier, phase and period (month, quarter,
-- year): distinct counts do not add up, so each period kind is counted on its own.
CREATE TABLE stats_founders (
    carrier_id  uuid NOT NULL,
    phase       text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('month', 'quarter', 'year')),
    start       date NOT NULL,
    founders    integer NOT NULL,
    PRIMARY KEY (carrier_id, kind, start, phase)
);

-- stats_contrib computes the contributions of the cases ids from the base tables, as
-- stats_case_month rows (the definitions are in internal/stats/doc.go):
--   * a case's history is its phase transitions and status changes, ordered by (at, id),
--     a transition before a status change of the same instant,
--   * it opens with its first transition (normally the row with from_phase NULL), in
--     that transition's phase, on that transition's Berlin day,
--   * its state on a day is the state after the day's last event: the phase of the last
--     transition, closed when the last status change went to 'closed',
--   * a closing counts in the phase held at its instant, under its reason ('other' for
--     a reason outside the catalogue),
--   * consultations count in their own phase and month; a case's first consultation
--     (by date, created_at, id) is its first contact.
-- +goose StatementBegin
-- It is PL/pgSQL for its plan cache: a custom plan knows how many cases it is given,
-- one for a trigger, all of them for stats_rebuild().
CREATE FUNCTION stats_contrib(ids uuid[]) RETURNS SETOF stats_case_month
LANGUAGE plpgsql STABLE AS $$
BEGIN
RETURN QUERY
WITH c AS (
    SELECT id, carrier_id, founder_id FROM cases WHERE id = ANY (ids)
), ev AS (
    SELECT case_id, at, 0 AS kind, id, to_phase AS phase, NULL::boolean AS closed, NULL::text AS reason
    FROM phase_transitions WHERE case_id = ANY (ids)
    UNION ALL
    SELECT case_id, at, 1, id, NULL, to_status = 'closed', reason
    FROM status_changes WHERE case_id = ANY (ids)
), run AS (
    -- np and ns number the transitions and status changes so far: the rows of one
    -- number share the phase (or the status) that the first of them set.
    SELECT ev.*, (at AT TIME ZONE 'Europe/Berlin')::date AS day,
           count(phase) OVER w AS np, count(closed) OVER w AS ns
    FROM ev WINDOW w AS (PARTITION BY case_id ORDER BY at, kind, id)
), state AS (
    SELECT run.*,
           first_value(phase) OVER (PARTITION BY case_id, np ORDER BY at, kind, id) AS held,
           coalesce(first_value(closed) OVER (PARTITION BY case_id, ns ORDER BY at, kind, id), false) AS is_closed,
           first_value(phase) OVER (PARTITION BY case_id ORDER BY kind, at, id) AS first_phase,
           first_value(CASE WHEN kind = 0 THEN day END) OVER (PARTITION BY case_id ORDER BY kind, at, id) AS opened_on
    FROM run
), eod AS (
    -- the phase a case is open in at the end of each day with events (NULL: closed)
    SELECT DISTINCT ON (case_id, day) case_id, day,
           CASE WHEN NOT is_closed THEN coalesce(held, first_phase) END AS open_in
    FROM state WHERE day >= opened_on
    ORDER BY case_id, day, at DESC, kind DESC, id DESC
), moves AS (
    SELECT case_id, day, open_in, lag(open_in) OVER (PARTITION BY case_id ORDER BY day) AS before
    FROM eod
), facts (case_id, phase, day, what) AS (
    SELECT case_id, open_in, day, 'active+' FROM moves WHERE open_in IS DISTINCT FROM before AND open_in IS NOT NULL
    UNION ALL
    SELECT case_id, before, day, 'active-' FROM moves WHERE open_in IS DISTINCT FROM before AND before IS NOT NULL
    UNION ALL
    SELECT case_id, phase, day, 'opened' FROM state WHERE kind = 0 AND np = 1
    UNION ALL
    SELECT case_id, phase, day, 'entered' FROM state WHERE kind = 0
    UNION ALL
    SELECT case_id, coalesce(held, first_phase), day,
           CASE WHEN reason IN ('consolidated', 'handed_over', 'abandoned', 'referred', 'business_closed', 'no_contact')
                THEN reason ELSE 'other' END
    FROM state WHERE closed
), k AS (
    SELECT case_id, phase, date_trunc('month', date)::date AS month, count(*)::integer AS n,
           sum(duration_minutes)::integer AS minutes
    FROM consultations WHERE case_id = ANY (ids)
    GROUP BY 1, 2, 3
), firsts AS (
    SELECT DISTINCT ON (case_id) case_id, phase, date_trunc('month', date)::date AS month
    FROM consultations WHERE case_id = ANY (ids)
    ORDER BY case_id, date, created_at, id
), parts AS (
    SELECT case_id, phase, date_trunc('month', day)::date AS month,
           CASE what WHEN 'active+' THEN 1 WHEN 'active-' THEN -1 ELSE 0 END AS active,
           (what = 'opened')::integer AS opened, (what = 'entered')::integer AS entered,
           (what = 'consolidated')::integer AS c1, (what = 'handed_over')::integer AS c2,
           (what = 'abandoned')::integer AS c3, (what = 'referred')::integer AS c4,
           (what = 'business_closed')::integer AS c5, (what = 'no_contact')::integer AS c6,
           (what = 'other')::integer AS c7, 0 AS n, 0 AS minutes, 0 AS fc
    FROM facts
    UNION ALL
    SELECT case_id, phase, month, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, n, minutes, 0 FROM k
    UNION ALL
    SELECT case_id, phase, month, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 FROM firsts
)
SELECT r.case_id, r.phase, r.month, c.carrier_id, c.founder_id,
       sum(active)::integer, sum(opened)::integer, sum(entered)::integer,
       sum(c1)::integer, sum(c2)::integer, sum(c3)::integer, sum(c4)::integer,
       sum(c5)::integer, sum(c6)::integer, sum(c7)::integer,
       sum(n)::integer, sum(minutes)::integer, sum(fc)::integer
FROM parts r JOIN c ON c.id = r.case_id
WHERE r.phase IN ('founding', 'consolidation', 'handover')
GROUP BY r.case_id, r.phase, r.month, c.carrier_id, c.founder_id
HAVING sum(active) <> 0 OR sum(opened) <> 0 OR sum(entered) <> 0 OR sum(c1 + c2 + c3 + c4 + c5 + c6 + c7) <> 0
    OR sum(n) <> 0 OR sum(fc) <> 0;
END;
$$;
-- +goose StatementEnd

-- stats_refresh replaces the contributions of the cases ids by their current ones and
-- adds the difference to stats_phase_month and stats_founders. Under READ COMMITTED
-- (Lotse's isolation) each statement below sees what was committed before it began.
-- +goose StatementBegin
CREATE FUNCTION stats_refresh(ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    h integer;
BEGIN
    IF coalesce(cardinality(ids), 0) = 0 THEN
        RETURN;
    END IF;
    -- A bulk load (seed scale) sets lotse.stats_defer and calls stats_rebuild() at its end.
    IF current_setting('lotse.stats_defer', true) = 'on' THEN
        RETURN;
    END IF;
    -- stats_rebuild() holds these tables exclusively: wait here, before the snapshot
    -- of the refresh below, so that the refresh sees the rebuilt rows.
    LOCK TABLE stats_case_month, stats_phase_month, stats_founders IN ROW EXCLUSIVE MODE;
    -- Distinct founders are counted by comparing a founder's presence before and after
    -- the change, which needs every other change of the same founder committed: one
    -- transaction at a time per founder (in hash order, so two never wait on each other).
    FOR h IN
        SELECT DISTINCT hashtext(f::text) FROM (
            SELECT founder_id FROM cases WHERE id = ANY (ids)
            UNION ALL
            SELECT founder_id FROM stats_case_month WHERE case_id = ANY (ids)) x(f)
        ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(731001, h);
    END LOOP;

    WITH fresh AS (
        SELECT * FROM stats_contrib(ids)
    ), stale AS (
        DELETE FROM stats_case_month WHERE case_id = ANY (ids) RETURNING *
    ), ins AS (
        INSERT INTO stats_case_month SELECT * FROM fresh
    ), diff AS (
        SELECT carrier_id, phase, month, sum(active) AS active, sum(opened) AS opened,
               sum(entered) AS entered, sum(closed_consolidated) AS c1, sum(closed_handed_over) AS c2,
               sum(closed_abandoned) AS c3, sum(closed_referred) AS c4, sum(closed_business_closed) AS c5,
               sum(closed_no_contact) AS c6, sum(closed_other) AS c7, sum(consultations) AS n,
               sum(minutes) AS minutes, sum(first_contacts) AS fc
        FROM (SELECT * FROM fresh
              UNION ALL
              SELECT case_id, phase, month, carrier_id, founder_id, -active, -opened, -entered,
                     -closed_consolidated, -closed_handed_over, -closed_abandoned, -closed_referred,
                     -closed_business_closed, -closed_no_contact, -closed_other, -consultations,
                     -minutes, -first_contacts
              FROM stale) d
        GROUP BY carrier_id, phase, month
    ), sums AS (
        INSERT INTO stats_phase_month AS s
        SELECT * FROM diff
        WHERE active <> 0 OR opened <> 0 OR entered <> 0 OR c1 <> 0 OR c2 <> 0 OR c3 <> 0 OR c4 <> 0
           OR c5 <> 0 OR c6 <> 0 OR c7 <> 0 OR n <> 0 OR minutes <> 0 OR fc <> 0
        ORDER BY carrier_id, phase, month
        ON CONFLICT (carrier_id, phase, month) DO UPDATE SET
            active = s.active + excluded.active, opened = s.opened + excluded.opened,
            entered = s.entered + excluded.entered,
            closed_consolidated = s.closed_consolidated + excluded.closed_consolidated,
            closed_handed_over = s.closed_handed_over + excluded.closed_handed_over,
            closed_abandoned = s.closed_abandoned + excluded.closed_abandoned,
            closed_referred = s.closed_referred + excluded.closed_referred,
            closed_business_closed = s.closed_business_closed + excluded.closed_business_closed,
            closed_no_contact = s.closed_no_contact + excluded.closed_no_contact,
            closed_other = s.closed_other + excluded.closed_other,
            consultations = s.consultations + excluded.consultations,
            minutes = s.minutes + excluded.minutes,
            first_contacts = s.first_contacts + excluded.first_contacts
    ), keys AS (
        SELECT DISTINCT x.founder_id, x.carrier_id, x.phase, p.kind, p.start, p.stop
        FROM (SELECT founder_id, carrier_id, phase, month FROM fresh WHERE consultations > 0
              UNION ALL
              SELECT founder_id, carrier_id, phase, month FROM stale WHERE consultations > 0) x
        CROSS JOIN LATERAL (VALUES
            ('month', x.month, (x.month + interval '1 month')::date),
            ('quarter', date_trunc('quarter', x.month)::date, (date_trunc('quarter', x.month) + interval '3 months')::date),
            ('year', date_trunc('year', x.month)::date, (date_trunc('year', x.month) + interval '1 year')::date)
        ) p(kind, start, stop)
    ), seen AS (
        -- this statement's snapshot holds the old rows, not the new ones
        SELECT k.carrier_id, k.phase, k.kind, k.start,
               EXISTS (SELECT 1 FROM stats_case_month m
                       WHERE m.founder_id = k.founder_id AND m.carrier_id = k.carrier_id AND m.phase = k.phase
                         AND m.month >= k.start AND m.month < k.stop AND m.consultations > 0) AS before,
               EXISTS (SELECT 1 FROM stats_case_month m
                       WHERE m.founder_id = k.founder_id AND m.carrier_id = k.carrier_id AND m.phase = k.phase
                         AND m.month >= k.start AND m.month < k.stop AND m.consultations > 0
                         AND m.case_id <> ALL (ids))
               OR EXISTS (SELECT 1 FROM fresh m
                       WHERE m.founder_id = k.founder_id AND m.carrier_id = k.carrier_id AND m.phase = k.phase
                         AND m.month >= k.start AND m.month < k.stop AND m.consultations > 0) AS after
        FROM keys k
    )
    INSERT INTO stats_founders AS s (carrier_id, phase, kind, start, founders)
    SELECT carrier_id, phase, kind, start, sum(after::integer - before::integer)
    FROM seen WHERE before <> after
    GROUP BY carrier_id, phase, kind, start
    ORDER BY carrier_id, kind, start, phase
    ON CONFLICT (carrier_id, kind, start, phase) DO UPDATE SET founders = s.founders + excluded.founders;
END;
$$;
-- +goose StatementEnd

-- stats_rebuild recomputes the three tables from the base tables (after a bulk load
-- with lotse.stats_defer, and for repair). Writers wait until it commits.
-- +goose StatementBegin
CREATE FUNCTION stats_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    plan_mode text := current_setting('plan_cache_mode');
    mem text := current_setting('work_mem');
    jit text := current_setting('jit');
BEGIN
    LOCK TABLE stats_case_month, stats_phase_month, stats_founders IN ACCESS EXCLUSIVE MODE;
    -- A plan for all cases (hash joins, in memory), not the cached one for a few.
    PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    PERFORM set_config('work_mem', greatest(pg_size_bytes(mem), pg_size_bytes('512MB'))::text || 'B', true);
    PERFORM set_config('jit', 'off', true);
    TRUNCATE stats_case_month, stats_phase_month, stats_founders;
    -- Building the indexes after the rows is several times faster than keeping them.
    DROP INDEX stats_case_month_case, stats_case_month_founder;
    INSERT INTO stats_case_month SELECT * FROM stats_contrib(ARRAY(SELECT id FROM cases));
    CREATE INDEX stats_case_month_case ON stats_case_month (case_id);
    CREATE INDEX stats_case_month_founder ON stats_case_month (founder_id, carrier_id, phase, month)
        WHERE consultations > 0;
    ANALYZE stats_case_month;
    INSERT INTO stats_phase_month
    SELECT carrier_id, phase, month, sum(active), sum(opened), sum(entered), sum(closed_consolidated),
           sum(closed_handed_over), sum(closed_abandoned), sum(closed_referred), sum(closed_business_closed),
           sum(closed_no_contact), sum(closed_other), sum(consultations), sum(minutes), sum(first_contacts)
    FROM stats_case_month GROUP BY carrier_id, phase, month;
    INSERT INTO stats_founders (carrier_id, phase, kind, start, founders)
    SELECT carrier_id, phase, kind, start, count(*)
    FROM (SELECT DISTINCT m.carrier_id, m.phase, p.kind, p.start, m.founder_id
          FROM stats_case_month m
          CROSS JOIN LATERAL (VALUES ('month', m.month), ('quarter', date_trunc('quarter', m.month)::date),
                                     ('year', date_trunc('year', m.month)::date)) p(kind, start)
          WHERE m.consultations > 0) d
    GROUP BY carrier_id, phase, kind, start;
    PERFORM set_config('plan_cache_mode', plan_mode, true);
    PERFORM set_config('work_mem', mem, true);
    PERFORM set_config('jit', jit, true);
END;
$$;
-- +goose StatementEnd

-- The triggers collect the cases a statement touched and refresh them once, at the end
-- of the statement. Updates that leave every counted column as it was (a pseudonymised
-- text, a new version number) refresh nothing.
-- +goose StatementBegin
CREATE FUNCTION stats_phase_transitions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_refresh(ARRAY(SELECT DISTINCT case_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM stats_refresh(ARRAY(SELECT DISTINCT case_id FROM old_rows));
    ELSE
        PERFORM stats_refresh(ARRAY(
            SELECT unnest(ARRAY[o.case_id, n.case_id]) FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.case_id, o.at, o.to_phase) IS DISTINCT FROM (n.case_id, n.at, n.to_phase)));
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION stats_status_changes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_refresh(ARRAY(SELECT DISTINCT case_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM stats_refresh(ARRAY(SELECT DISTINCT case_id FROM old_rows));
    ELSE
        PERFORM stats_refresh(ARRAY(
            SELECT unnest(ARRAY[o.case_id, n.case_id]) FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.case_id, o.at, o.to_status, o.reason) IS DISTINCT FROM (n.case_id, n.at, n.to_status, n.reason)));
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION stats_consultations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM stats_refresh(ARRAY(SELECT DISTINCT case_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM stats_refresh(ARRAY(SELECT DISTINCT case_id FROM old_rows));
    ELSE
        PERFORM stats_refresh(ARRAY(
            SELECT unnest(ARRAY[o.case_id, n.case_id]) FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.case_id, o.date, o.duration_minutes, o.phase, o.created_at)
                  IS DISTINCT FROM (n.case_id, n.date, n.duration_minutes, n.phase, n.created_at)));
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- A new case has no history yet (its rows follow, with their own triggers); a deleted
-- case's history went with it (ON DELETE CASCADE), and this removes what is left.
-- +goose StatementBegin
CREATE FUNCTION stats_cases_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM stats_refresh(ARRAY(SELECT id FROM old_rows));
    ELSE
        PERFORM stats_refresh(ARRAY(
            SELECT o.id FROM old_rows o JOIN new_rows n USING (id)
            WHERE (o.carrier_id, o.founder_id) IS DISTINCT FROM (n.carrier_id, n.founder_id)));
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Transition tables allow one event per trigger: three triggers per table.
CREATE TRIGGER stats_insert AFTER INSERT ON phase_transitions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_phase_transitions_changed();
CREATE TRIGGER stats_update AFTER UPDATE ON phase_transitions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_phase_transitions_changed();
CREATE TRIGGER stats_delete AFTER DELETE ON phase_transitions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_phase_transitions_changed();

CREATE TRIGGER stats_insert AFTER INSERT ON status_changes REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_status_changes_changed();
CREATE TRIGGER stats_update AFTER UPDATE ON status_changes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_status_changes_changed();
CREATE TRIGGER stats_delete AFTER DELETE ON status_changes REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_status_changes_changed();

CREATE TRIGGER stats_insert AFTER INSERT ON consultations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_consultations_changed();
CREATE TRIGGER stats_update AFTER UPDATE ON consultations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_consultations_changed();
CREATE TRIGGER stats_delete AFTER DELETE ON consultations REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_consultations_changed();

CREATE TRIGGER stats_update AFTER UPDATE ON cases REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_cases_changed();
CREATE TRIGGER stats_delete AFTER DELETE ON cases REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION stats_cases_changed();

-- Cases and history that exist already. On a large installation this takes longer than
-- the application's statement timeout (15 s): lift it for this migration's transaction.
SET LOCAL statement_timeout = 0;
SELECT stats_rebuild();

-- +goose Down
DROP TRIGGER stats_insert ON phase_transitions;
DROP TRIGGER stats_update ON phase_transitions;
DROP TRIGGER stats_delete ON phase_transitions;
DROP TRIGGER stats_insert ON status_changes;
DROP TRIGGER stats_update ON status_changes;
DROP TRIGGER stats_delete ON status_changes;
DROP TRIGGER stats_insert ON consultations;
DROP TRIGGER stats_update ON consultations;
DROP TRIGGER stats_delete ON consultations;
DROP TRIGGER stats_update ON cases;
DROP TRIGGER stats_delete ON cases;
DROP FUNCTION stats_cases_changed(), stats_consultations_changed(), stats_status_changes_changed(),
    stats_phase_transitions_changed(), stats_rebuild(), stats_refresh(uuid[]), stats_contrib(uuid[]);
DROP TABLE stats_founders, stats_phase_month, stats_case_month;
