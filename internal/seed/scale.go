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
	`CREATE TEMP TABLE scale_founders ON COMMIT DROP AS
	 SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS case_id, (g % 11) AS carrier_n,
	        (current_date - (random() * 1400)::int) AS opened_on, random() AS r1, random() AS r2, random() AS r3
	 FROM generate_series(1, {founders}) g`,
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
	        CASE WHEN f.r1 < 0.55 THEN 'founding' WHEN f.r1 < 0.9 THEN 'consolidation' ELSE 'handover' END,
	        CASE WHEN f.r3 < 0.7 THEN 'active' WHEN f.r3 < 0.8 THEN 'paused' ELSE 'closed' END,
	        CASE WHEN f.r3 >= 0.8 THEN (ARRAY['consolidated','handed_over','abandoned','referred','business_closed','no_contact','other'])[1 + f.g % 7] END,
	        a.id, 'Geschäftsidee ' || f.g,
	        (ARRAY['C','F','G','I','J','M','N','Q','S'])[1 + f.g % 9],
	        (ARRAY['sole_proprietor','gbr','ug','gmbh','freelance','other'])[1 + f.g % 6],
	        f.opened_on,
	        CASE WHEN f.r3 >= 0.8 THEN least(current_date, f.opened_on + 200) END
	 FROM scale_founders f JOIN scale_advisors a ON a.carrier_n = f.carrier_n AND a.k = (f.g / 11) % {advisors}`,
	`INSERT INTO phase_transitions (case_id, from_phase, to_phase, at, by_user)
	 SELECT c.id, NULL, 'founding', c.opened_on::timestamptz, c.lead_advisor_id FROM cases c JOIN scale_founders f ON f.case_id = c.id`,
	`INSERT INTO phase_transitions (case_id, from_phase, to_phase, at, by_user)
	 SELECT c.id, 'founding', c.phase, (c.opened_on + 120)::timestamptz, c.lead_advisor_id
	 FROM cases c JOIN scale_founders f ON f.case_id = c.id WHERE c.phase <> 'founding'`,
	`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics, languages,
	     interpreter, summary, phase)
	 SELECT gen_random_uuid(), c.id, c.lead_advisor_id,
	        least(current_date, c.opened_on + ((k - 1) * 30 + (random() * 20)::int)),
	        15 + (random() * 105)::int, (random() * 30)::int,
	        (ARRAY['in_person','in_person','phone','video','email','outreach'])[1 + floor(random() * 6)::int],
	        ARRAY[(ARRAY['business_idea','business_plan','financing','funding_programmes','legal_form','registration_permits','residence_law','recognition_qualifications','tax_accounting','insurance_social_security','marketing_sales','digitalisation','premises_location','staff_hiring','liquidity_crisis','succession','other'])[1 + floor(random() * 17)::int]],
	        ARRAY['de'], random() < 0.15, 'Beratungsgespräch ' || k,
	        CASE WHEN k <= 4 THEN 'founding' ELSE c.phase END
	 FROM cases c JOIN scale_founders f ON f.case_id = c.id, generate_series(1, 10) k`,
	`INSERT INTO follow_ups (id, case_id, due_on, title, assignee_id, created_by, done_at)
	 SELECT gen_random_uuid(), c.id, current_date + ((f.r2 * 60)::int - 20), 'Wiedervorlage', c.lead_advisor_id,
	        c.lead_advisor_id, CASE WHEN f.r1 < 0.3 THEN now() END
	 FROM cases c JOIN scale_founders f ON f.case_id = c.id WHERE c.status <> 'closed'`,
}

// Scale writes synthetic data for benchmarks: founders in 11 carriers with about 300
// advisors (27 per carrier), one case each, ten consultations per case, follow-ups and
// phase transitions. It refuses to run twice on one database.
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
