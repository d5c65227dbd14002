package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// ScalePassword is the password of every synthetic account of `seed scale`.
const ScalePassword = "Skalierung-Benchmark-2026" //nolint:gosec // a published benchmark password, not a secret

// The scale data set is written set-wise in SQL: a million consultations row by row
// through the store would take an hour. Deterministic (setseed) so runs compare.
// $1 founders, $2 advisors per carrier, $1 password hash.
var scaleSteps = []string{
	`SELECT setseed(0.2026)`,
	`INSERT INTO carriers (id, name, short_name)
	 SELECT gen_random_uuid(), 'Skalierungsträger ' || lpad(g::text, 2, '0'), 'SK' || lpad(g::text, 2, '0')
	 FROM generate_series(1, 11) g`,
	`CREATE TEMP TABLE scale_carriers ON COMMIT DROP AS
	 SELECT id, row_number() OVER (ORDER BY short_name) - 1 AS n FROM carriers WHERE short_name LIKE 'SK%'`,
	`INSERT INTO users (id, email, name, password_hash, languages)
	 SELECT gen_random_uuid(), 'scale.advisor.' || g || '@lotse.example', 'Beratung ' || g, $1,
	        string_to_array((ARRAY['de,en', 'de,tr', 'de,ar', 'de,uk,ru', 'de,fa'])[1 + g % 5], ',')
	 FROM generate_series(1, 11 * {advisors}) g`,
	`CREATE TEMP TABLE scale_advisors ON COMMIT DROP AS
	 SELECT u.id, c.id AS carrier_id, c.n AS carrier_n,
	        (substring(u.email from 'scale.advisor.([0-9]+)@')::int - 1) / 11 AS k
	 FROM users u JOIN scale_carriers c ON c.n = (substring(u.email from 'scale.advisor.([0-9]+)@')::int - 1) % 11
	 WHERE u.email LIKE 'scale.advisor.%'`,
	`INSERT INTO memberships (user_id, role, carrier_id) SELECT id, 'advisor', carrier_id FROM scale_advisors`,
	`INSERT INTO users (id, email, name, password_hash)
	 SELECT gen_random_uuid(), 'scale.coordinator.' || n || '@lotse.example', 'Koordination ' || n, $1 FROM scale_carriers`,
	`INSERT INTO memberships (user_id, role, carrier_id)
	 SELECT u.id, 'coordinator', c.id FROM scale_carriers c JOIN users u ON u.email = 'scale.coordinator.' || c.n || '@lotse.example'`,
	// Five years of intake; each case's history is planned here (c1 consolidation, c2
	// handover, cl closing, ro reopening, rc second closing, pa pause) and kept where it
	// lies in the past, so the statistics see phases, closings and reopenings over time.
	`CREATE TEMP TABLE scale_founders ON COMMIT DROP AS
	 SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS case_id, (g % 11) AS carrier_n,
	        (current_date - (random() * 1826)::int) AS opened_on, random() AS r1, random() AS r2, random() AS r3
	 FROM generate_series(1, {founders}) g`,
	`CREATE TEMP TABLE scale_history ON COMMIT DROP AS
	 SELECT q.case_id, q.opened_on,
	        CASE WHEN q.c1 <= current_date THEN q.c1 END AS c1, CASE WHEN q.c2 <= current_date THEN q.c2 END AS c2,
	        CASE WHEN q.cl <= current_date THEN q.cl END AS cl, CASE WHEN q.ro <= current_date THEN q.ro END AS ro,
	        CASE WHEN q.ro + 60 + (q.r2 * 90)::int <= current_date AND q.r3 >= 0.98 THEN q.ro + 60 + (q.r2 * 90)::int END AS rc,
	        CASE WHEN q.r3 >= 0.65 AND q.r3 < 0.75 AND q.opened_on + 30 + (q.r1 * 60)::int <= current_date
	             THEN q.opened_on + 30 + (q.r1 * 60)::int END AS pa,
	        (ARRAY['consolidated','handed_over','abandoned','referred','business_closed','no_contact','other'])[1 + q.g % 7] AS reason1,
	        (ARRAY['consolidated','handed_over','abandoned','referred','business_closed','no_contact','other'])[1 + (q.g / 7) % 7] AS reason2,
	        make_interval(hours => 8 + q.g % 16) AS time_of_day
	 FROM (SELECT s.*, CASE WHEN s.r3 >= 0.96 THEN s.cl + 20 + (s.r1 * 40)::int END AS ro
	       FROM (SELECT t.*, CASE WHEN t.r3 >= 0.75 THEN coalesce(t.c2, t.c1, t.opened_on) + 60 + (t.r2 * 300)::int END AS cl
	             FROM (SELECT u.*, CASE WHEN u.r1 >= 0.9 THEN u.c1 + 200 + (u.r3 * 200)::int END AS c2
	                   FROM (SELECT f.*, CASE WHEN f.r1 >= 0.55 THEN f.opened_on + 90 + (f.r2 * 120)::int END AS c1
	                         FROM scale_founders f) u) t) s) q`,
	`CREATE UNIQUE INDEX ON scale_history (case_id)`,
	`INSERT INTO founders (id, carrier_id, given_name, family_name, birth_year, gender, city, country_of_birth,
	     nationalities, languages, german_level, education_isced, employment_status_at_entry, arrival_year,
	     referral_source, disability, foreign_background, homeless)
	 SELECT f.id, c.id,
	        (ARRAY['Amina','Mehmet','Lina','Olena','Kwame','Sofía','Zahra','Dmytro','Fatma','Ali','Nguyen','Ayşe','Omar','Irina','Samuel','Leyla'])[1 + (f.g * 7) % 16],
	        (ARRAY['Yusuf','Kaya','Haddad','Shevchenko','Mensah','Ramírez','Ahmadi','Bondarenko','Yılmaz','Hassan','Tran','Demir','Khalil','Petrova','Okafor','Aliyeva'])[1 + (f.g * 13) % 16] || ' ' || f.g,
	        1960 + (f.r1 * 45)::int,
	        (ARRAY['female','male','female','male','diverse','unspecified'])[1 + (f.g % 6)],
	        (ARRAY['Berlin','Hamburg','Köln','Duisburg','Leipzig','München','Nürnberg','Kiel'])[1 + f.g % 8],
	        (ARRAY['SY','TR','UA','AF','VN','GH','CO','IR','PL','RO'])[1 + (f.g * 3) % 10],
	        ARRAY[(ARRAY['SY','TR','UA','AF','VN','GH','CO','IR','PL','RO'])[1 + (f.g * 3) % 10]],
	        ARRAY['de', (ARRAY['ar','tr','uk','fa','vi','en','es','fa','pl','ro'])[1 + (f.g * 3) % 10]],
	        (ARRAY['A1','A2','B1','B2','C1','C2','native','unknown'])[1 + floor(f.r2 * 8)::int],
	        (ARRAY['isced_0_2','isced_3_4','isced_5_8','unknown'])[1 + floor(f.r3 * 4)::int],
	        (ARRAY['unemployed','long_term_unemployed','inactive','employed','self_employed','unknown'])[1 + (f.g % 6)],
	        1990 + (f.r2 * 34)::int,
	        (ARRAY['self','jobcenter','employment_agency','chamber','community','friends_family','internet','other'])[1 + f.g % 8],
	        (ARRAY['yes','no','no','not_stated'])[1 + f.g % 4],
	        (ARRAY['yes','yes','no','not_stated'])[1 + f.g % 4],
	        (ARRAY['no','no','no','yes','not_stated'])[1 + f.g % 5]
	 FROM scale_founders f JOIN scale_carriers c ON c.n = f.carrier_n`,
	`INSERT INTO cases (id, carrier_id, founder_id, phase, status, closing_reason, lead_advisor_id, business_idea,
	     business_sector, business_legal_form, opened_on, closed_on)
	 SELECT f.case_id, a.carrier_id, f.id,
	        CASE WHEN h.c2 IS NOT NULL THEN 'handover' WHEN h.c1 IS NOT NULL THEN 'consolidation' ELSE 'founding' END,
	        CASE WHEN h.rc IS NOT NULL OR h.cl IS NOT NULL AND h.ro IS NULL THEN 'closed' WHEN h.pa IS NOT NULL THEN 'paused' ELSE 'active' END,
	        CASE WHEN h.rc IS NOT NULL THEN h.reason2 WHEN h.cl IS NOT NULL AND h.ro IS NULL THEN h.reason1 END,
	        a.id, 'Geschäftsidee ' || f.g,
	        (ARRAY['C','F','G','I','J','M','N','Q','S'])[1 + f.g % 9],
	        (ARRAY['sole_proprietor','gbr','ug','gmbh','freelance','other'])[1 + f.g % 6],
	        f.opened_on,
	        CASE WHEN h.rc IS NOT NULL THEN h.rc WHEN h.ro IS NULL THEN h.cl END
	 FROM scale_founders f JOIN scale_history h ON h.case_id = f.case_id
	 JOIN scale_advisors a ON a.carrier_n = f.carrier_n AND a.k = (f.g / 11) % {advisors}`,
	`INSERT INTO phase_transitions (case_id, from_phase, to_phase, at, by_user)
	 SELECT c.id, t.from_phase, t.to_phase, (t.day + h.time_of_day) AT TIME ZONE 'Europe/Berlin', c.lead_advisor_id
	 FROM cases c JOIN scale_history h ON h.case_id = c.id,
	      LATERAL (VALUES (NULL, 'founding', h.opened_on), ('founding', 'consolidation', h.c1),
	                      ('consolidation', 'handover', h.c2)) t(from_phase, to_phase, day)
	 WHERE t.day IS NOT NULL`,
	`INSERT INTO status_changes (case_id, from_status, to_status, reason, at, by_user)
	 SELECT c.id, s.from_status, s.to_status, s.reason, (s.day + h.time_of_day) AT TIME ZONE 'Europe/Berlin', c.lead_advisor_id
	 FROM cases c JOIN scale_history h ON h.case_id = c.id,
	      LATERAL (VALUES ('active', 'paused', NULL, h.pa), ('active', 'closed', h.reason1, h.cl),
	                      ('closed', 'active', NULL, h.ro), ('active', 'closed', h.reason2, h.rc)) s(from_status, to_status, reason, day)
	 WHERE s.day IS NOT NULL`,
	// Ten consultations per case, spread from the opening to the first closing (or to
	// 330 days on), each in the phase the case was in on its day.
	`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics, languages,
	     interpreter, summary, phase)
	 SELECT gen_random_uuid(), c.id, c.lead_advisor_id, d.day,
	        15 + (random() * 105)::int, (random() * 30)::int,
	        (ARRAY['in_person','in_person','phone','video','email','outreach'])[1 + floor(random() * 6)::int],
	        ARRAY[(ARRAY['business_idea','business_plan','financing','funding_programmes','legal_form','registration_permits','residence_law','recognition_qualifications','tax_accounting','insurance_social_security','marketing_sales','digitalisation','premises_location','staff_hiring','liquidity_crisis','succession','other'])[1 + floor(random() * 17)::int]],
	        ARRAY['de'], random() < 0.15, 'Beratungsgespräch ' || k,
	        CASE WHEN d.day >= h.c2 THEN 'handover' WHEN d.day >= h.c1 THEN 'consolidation' ELSE 'founding' END
	 FROM cases c JOIN scale_history h ON h.case_id = c.id, generate_series(1, 10) k,
	      LATERAL (SELECT least(e.last, h.opened_on + (k - 1) * (e.last - h.opened_on) / 10 + (random() * 5)::int) AS day
	               FROM (SELECT least(current_date, coalesce(h.cl, h.opened_on + 330)) AS last) e) d`,
	`INSERT INTO follow_ups (id, case_id, due_on, title, assignee_id, created_by, done_at)
	 SELECT gen_random_uuid(), c.id, current_date + ((f.r2 * 60)::int - 20), 'Wiedervorlage', c.lead_advisor_id,
	        c.lead_advisor_id, CASE WHEN f.r1 < 0.3 THEN now() END
	 FROM cases c JOIN scale_founders f ON f.case_id = c.id WHERE c.status <> 'closed'`,
}

// Scale writes synthetic data for benchmarks: founders in 11 carriers with about 300
// advisors (27 per carrier), one case each opened in the last five years, ten
// consultations per case, follow-ups, phase transitions, pauses, closings and
// reopenings, and the statistics of it all. It refuses to run twice on one database.
func Scale(ctx context.Context, st *store.Store, founders int, out io.Writer) error {
	var exists bool
	if err := st.DB.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM carriers WHERE short_name = 'SK01')`); err != nil {
		return err
	}
	if exists {
		return errors.New("seed scale: this database has scale data already")
	}
	hash, err := domain.HashPassword(ctx, ScalePassword)
	if err != nil {
		return err
	}
	start := time.Now()
	tx, err := st.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	// The steps are long set-wise statements: lift the statement timeout for them.
	if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return err
	}
	// The statistics (internal/stats) are computed once at the end, not per statement
	// by their triggers: this is stats.Defer and stats.Rebuild, which this package
	// cannot import (the stats tests use testenv, which uses seed).
	if _, err := tx.ExecContext(ctx, `SET LOCAL lotse.stats_defer = on`); err != nil {
		return err
	}
	const advisorsPerCarrier = 27
	for i, step := range scaleSteps {
		sql := strings.NewReplacer("{founders}", strconv.Itoa(founders), "{advisors}", strconv.Itoa(advisorsPerCarrier)).Replace(step)
		var args []any
		if strings.Contains(sql, "$1") {
			args = []any{hash}
		}
		if _, err := tx.ExecContext(ctx, sql, args...); err != nil {
			return fmt.Errorf("seed scale step %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `SELECT stats_rebuild()`); err != nil {
		return fmt.Errorf("seed scale statistics: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := st.DB.ExecContext(ctx, `ANALYZE`); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d founders, %d consultations in 11 carriers with %d advisors in %s (password %s)\n",
		founders, founders*10, 11*advisorsPerCarrier, time.Since(start).Round(time.Second), ScalePassword)
	return nil
}
