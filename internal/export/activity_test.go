package export

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// Canaries: texts that must never appear in an export.
const (
	canaryGiven    = "KANARIE_VORNAME"
	canaryFamily   = "KANARIE_NACHNAME"
	canaryEmail    = "kanarie@founder.example"
	canaryPhone    = "+49 30 KANARIE"
	canaryIdea     = "KANARIE_GESCHAEFTSIDEE"
	canarySummary  = "KANARIE_ZUSAMMENFASSUNG"
	canaryNext     = "KANARIE_NAECHSTE_SCHRITTE"
	canaryPostcode = "KANARIE_PLZ"
)

var canaries = []string{canaryGiven, canaryFamily, canaryEmail, canaryPhone, canaryIdea, canarySummary, canaryNext, canaryPostcode}

// fixture is a small installation: two carriers, an advisor in each and one who
// counsels in both, three cases and eight consultations in 2025.
type fixture struct {
	db                  *sqlx.DB
	north, south        uuid.UUID // carriers
	anna, bert, clara   uuid.UUID // advisors
	case1, case2, case3 uuid.UUID
	founders            []uuid.UUID
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := testdb.New(t).Store.DB
	fx := fixture{db: db, north: uuid.New(), south: uuid.New(), anna: uuid.New(), bert: uuid.New(), clara: uuid.New(),
		case1: uuid.New(), case2: uuid.New(), case3: uuid.New()}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO carriers (id, name, short_name) VALUES ($1, 'Träger Nord', 'NORD'), ($2, '=Träger; "Süd"', 'SUED')`, fx.north, fx.south)
	for _, u := range []struct {
		id   uuid.UUID
		name string
	}{{fx.anna, "Anna Advisor"}, {fx.bert, "Bert Berater"}, {fx.clara, "Clara Coach"}} {
		exec(`INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, 'x')`, u.id, u.id.String()+"@lotse.example", u.name)
	}
	for _, c := range []struct {
		id, carrier, lead uuid.UUID
	}{{fx.case1, fx.north, fx.anna}, {fx.case2, fx.north, fx.clara}, {fx.case3, fx.south, fx.bert}} {
		founder := uuid.New()
		fx.founders = append(fx.founders, founder)
		exec(`INSERT INTO founders (id, carrier_id, given_name, family_name, email, phone, postcode)
		      VALUES ($1, $2, $3, $4, $5, $6, $7)`, founder, c.carrier, canaryGiven, canaryFamily, canaryEmail, canaryPhone, canaryPostcode)
		exec(`INSERT INTO cases (id, carrier_id, founder_id, phase, status, lead_advisor_id, business_idea, opened_on)
		      VALUES ($1, $2, $3, 'founding', 'active', $4, $5, '2024-12-01')`, c.id, c.carrier, founder, c.lead, canaryIdea)
	}
	for _, k := range []struct {
		kase, advisor uuid.UUID
		date          string
		minutes       int
		prep          *int
		mode, topics  string
		interpreter   bool
		phase         string
	}{
		{fx.case1, fx.anna, "2025-01-02", 60, ptr(15), "in_person", "{business_plan,financing}", false, "founding"},
		{fx.case1, fx.anna, "2025-02-10", 45, nil, "phone", "{financing}", true, "founding"},
		{fx.case1, fx.clara, "2025-03-31", 30, ptr(0), "video", "{legal_form}", false, "consolidation"},
		{fx.case2, fx.clara, "2025-01-15", 90, ptr(20), "in_person", "{residence_law,recognition_qualifications}", true, "founding"},
		{fx.case2, fx.clara, "2025-04-01", 30, nil, "email", "{other}", false, "founding"},
		{fx.case3, fx.bert, "2024-12-31", 60, nil, "outreach", "{business_idea}", false, "founding"},
		{fx.case3, fx.bert, "2025-01-02", 120, ptr(30), "in_person", "{financing,funding_programmes}", false, "founding"},
		{fx.case3, fx.clara, "2025-03-01", 600, ptr(300), "video", "{succession}", true, "handover"},
	} {
		exec(`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, prep_minutes, mode, topics,
		          interpreter, summary, next_steps, phase)
		      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			uuid.New(), k.kase, k.advisor, k.date, k.minutes, k.prep, k.mode, k.topics, k.interpreter, canarySummary, canaryNext, k.phase)
	}
	return fx
}

func ptr[T any](v T) *T { return &v }

var q2025 = ActivityQuery{From: day("2025-01-01"), To: day("2025-03-31")}

// export runs WriteActivity in format f and returns the file.
func (fx fixture) export(t *testing.T, q ActivityQuery, f Format) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, f, ActivityColumns(nil), Options{True: "ja", False: "nein"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := WriteActivity(context.Background(), fx.db, q, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if n != w.Rows() {
		t.Errorf("WriteActivity says %d rows, the writer %d", n, w.Rows())
	}
	return out.Bytes()
}

// records reads a CSV export into maps by column key.
func (fx fixture) records(t *testing.T, q ActivityQuery) []map[string]string {
	t.Helper()
	data := bytes.TrimPrefix(fx.export(t, q, CSV), []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = ';'
	all, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range all[1:] {
		m := map[string]string{}
		for i, k := range all[0] {
			m[k] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func TestActivityExport(t *testing.T) {
	fx := newFixture(t)

	t.Run("no founder data, no texts, no case or founder ids in any format", func(t *testing.T) {
		secrets := append([]string{fx.case1.String(), fx.case2.String(), fx.case3.String()}, canaries...)
		for _, f := range fx.founders {
			secrets = append(secrets, f.String())
		}
		for _, f := range Formats {
			for _, pseudo := range []bool{false, true} {
				q := q2025
				q.PseudonymiseAdvisors = pseudo
				data := fx.export(t, q, f)
				text := string(data)
				if f == XLSX {
					text = xlsxText(t, data)
				}
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%s (pseudonymised %v) contains %q", f, pseudo, s)
					}
				}
			}
		}
	})

	t.Run("one row per consultation in the range, by date, with the columns in order", func(t *testing.T) {
		data := bytes.TrimPrefix(fx.export(t, q2025, CSV), []byte("\uFEFF"))
		lines := strings.Split(strings.TrimSuffix(string(data), "\r\n"), "\r\n")
		if lines[0] != "date;carrier_id;carrier;advisor_id;advisor;case_number;phase;mode;topics;duration_minutes;prep_minutes;interpreter" {
			t.Errorf("heading %q", lines[0])
		}
		recs := fx.records(t, q2025)
		var dates []string
		for _, r := range recs {
			dates = append(dates, r["date"])
		}
		if got := strings.Join(dates, " "); got != "2025-01-02 2025-01-02 2025-01-15 2025-02-10 2025-03-01 2025-03-31" {
			t.Errorf("dates %s", got)
		}
	})

	t.Run("values of a row", func(t *testing.T) {
		for _, r := range fx.records(t, q2025) {
			if r["date"] != "2025-03-01" {
				continue
			}
			want := map[string]string{"carrier_id": fx.south.String(), "carrier": `'=Träger; "Süd"`,
				"advisor_id": fx.clara.String(), "advisor": "Clara Coach", "phase": "handover", "mode": "video",
				"topics": "succession", "duration_minutes": "600", "prep_minutes": "300", "interpreter": "ja"}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("%s = %q, want %q", k, r[k], v)
				}
			}
			if !regexp.MustCompile(`^F-[0-9A-HJKMNP-TV-Z]{10}$`).MatchString(r["case_number"]) {
				t.Errorf("case number %q", r["case_number"])
			}
		}
	})

	t.Run("case number stable across exports, one per case, not the case id", func(t *testing.T) {
		numbers := func() map[string]string { // first date of a case's consultations → case number
			m := map[string]string{}
			for _, r := range fx.records(t, ActivityQuery{From: day("2024-01-01"), To: day("2025-12-31")}) {
				m[r["date"]+" "+r["advisor"]] = r["case_number"]
			}
			return m
		}
		first, second := numbers(), numbers()
		if fmt.Sprint(first) != fmt.Sprint(second) {
			t.Errorf("first %v\nsecond %v", first, second)
		}
		case1 := first["2025-01-02 Anna Advisor"]
		if first["2025-02-10 Anna Advisor"] != case1 || first["2025-03-31 Clara Coach"] != case1 {
			t.Errorf("case 1 has several numbers: %v", first)
		}
		distinct := map[string]bool{}
		for _, n := range first {
			distinct[n] = true
			if strings.Contains(n, fx.case1.String()[:8]) {
				t.Errorf("case number %q shows the case id", n)
			}
		}
		if len(distinct) != 3 {
			t.Errorf("%d case numbers for 3 cases: %v", len(distinct), first)
		}
		if n, err := CaseNumber(context.Background(), fx.db, fx.case1); err != nil || n != case1 {
			t.Errorf("CaseNumber = %q (%v), export %q", n, err, case1)
		}
	})

	t.Run("advisors pseudonymised for programme managers", func(t *testing.T) {
		q := q2025
		q.PseudonymiseAdvisors = true
		codes := map[string]string{} // date+case → advisor code
		byCode := map[string]bool{}
		for _, r := range fx.records(t, q) {
			if r["advisor_id"] != "" {
				t.Errorf("advisor_id %q", r["advisor_id"])
			}
			if !regexp.MustCompile(`^B-[0-9A-Z]{10}$`).MatchString(r["advisor"]) {
				t.Errorf("advisor %q", r["advisor"])
			}
			codes[r["date"]+r["case_number"]] = r["advisor"]
			byCode[r["advisor"]] = true
		}
		if len(byCode) != 3 {
			t.Errorf("%d advisor codes for 3 advisors", len(byCode))
		}
		data := string(fx.export(t, q, CSV))
		for _, name := range []string{"Anna", "Bert", "Clara", fx.anna.String(), fx.bert.String(), fx.clara.String()} {
			if strings.Contains(data, name) {
				t.Errorf("pseudonymised export names %q", name)
			}
		}
		again := map[string]string{}
		for _, r := range fx.records(t, q) {
			again[r["date"]+r["case_number"]] = r["advisor"]
		}
		if fmt.Sprint(codes) != fmt.Sprint(again) {
			t.Error("advisor codes change between exports")
		}
	})

	t.Run("carriers: nil all, listed ones only, empty none", func(t *testing.T) {
		tests := []struct {
			name     string
			carriers []uuid.UUID
			rows     int
		}{
			{"all", nil, 6},
			{"north", []uuid.UUID{fx.north}, 4},
			{"south", []uuid.UUID{fx.south}, 2},
			{"both", []uuid.UUID{fx.south, fx.north}, 6},
			{"none", []uuid.UUID{}, 0},
			{"unknown", []uuid.UUID{uuid.New()}, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				q := q2025
				q.Carriers = tt.carriers
				recs := fx.records(t, q)
				if len(recs) != tt.rows {
					t.Errorf("%d rows, want %d", len(recs), tt.rows)
				}
				for _, r := range recs {
					if tt.carriers != nil && !strings.Contains(fmt.Sprint(tt.carriers), r["carrier_id"]) {
						t.Errorf("row of carrier %s", r["carrier_id"])
					}
				}
			})
		}
	})

	t.Run("range includes both ends", func(t *testing.T) {
		recs := fx.records(t, ActivityQuery{From: day("2024-12-31"), To: day("2025-01-02")})
		if len(recs) != 3 {
			t.Errorf("%d rows, want 3", len(recs))
		}
	})

	t.Run("labels translate headings and codes", func(t *testing.T) {
		de := map[string]string{"export.activity.date": "Datum", "phase.founding": "Gründung", "mode.phone": "Telefon",
			"topic.financing": "Finanzierung", "topic.business_plan": "Businessplan"}
		label := func(k string) string {
			if v, ok := de[k]; ok {
				return v
			}
			return "?" + k
		}
		var out bytes.Buffer
		w, err := NewWriter(&out, CSV, ActivityColumns(label), Options{})
		if err != nil {
			t.Fatal(err)
		}
		q := q2025
		q.Label = label
		if _, err := WriteActivity(context.Background(), fx.db, q, w); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		for _, want := range []string{"\uFEFFDatum;?export.activity.carrier_id;", ";Gründung;Telefon;Finanzierung;45;;1\r\n",
			";Gründung;?mode.in_person;Businessplan, Finanzierung;60;15;0\r\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("no %q in\n%s", want, got)
			}
		}
	})

	t.Run("JSON has codes, topic arrays, numbers and null", func(t *testing.T) {
		var got struct {
			Rows []struct {
				Date        string   `json:"date"`
				AdvisorID   *string  `json:"advisor_id"`
				Topics      []string `json:"topics"`
				Duration    int      `json:"duration_minutes"`
				Prep        *int     `json:"prep_minutes"`
				Interpreter bool     `json:"interpreter"`
			} `json:"rows"`
		}
		q := q2025
		q.PseudonymiseAdvisors = true
		if err := json.Unmarshal(fx.export(t, q, JSON), &got); err != nil {
			t.Fatal(err)
		}
		r := got.Rows[3] // 2025-02-10
		if len(got.Rows) != 6 || r.Date != "2025-02-10" || r.AdvisorID != nil || strings.Join(r.Topics, ",") != "financing" ||
			r.Duration != 45 || r.Prep != nil || !r.Interpreter {
			t.Errorf("got %+v", got.Rows)
		}
	})

	t.Run("XLSX has dates and minutes as numbers", func(t *testing.T) {
		f, err := excelize.OpenReader(bytes.NewReader(fx.export(t, q2025, XLSX)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for cell, want := range map[string]string{"A2": "45659", "A4": "45672", "J4": "90", "K4": "20", "L4": "ja", "K5": "", "L7": "nein"} {
			got, _ := f.GetCellValue("Export", cell, excelize.Options{RawCellValue: true})
			if got != want {
				t.Errorf("%s = %q, want %q", cell, got, want)
			}
		}
	})
}

// xlsxText is every cell of an XLSX file, one after the other.
func xlsxText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, "|") + "\n")
	}
	return b.String()
}

func TestActivityQueryCheck(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		fields   string // the invalid fields, "" for none
	}{
		{"one day", "2025-01-01", "2025-01-01", ""},
		{"a year", "2025-01-01", "2025-12-31", ""},
		{"ten years to the day before", "2015-01-01", "2024-12-31", ""},
		{"ten years and a day", "2015-01-01", "2025-01-01", "to"},
		{"to before from", "2025-02-01", "2025-01-31", "to"},
		{"from missing", "", "2025-01-31", "from"},
		{"both missing", "", "", "from to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q ActivityQuery
			if tt.from != "" {
				q.From = day(tt.from)
			}
			if tt.to != "" {
				q.To = day(tt.to)
			}
			err := q.Check()
			var fields []string
			var de *domain.Error
			if errors.As(err, &de) {
				if de.Code != domain.ErrInvalid {
					t.Errorf("code %s", de.Code)
				}
				for _, f := range de.Fields {
					fields = append(fields, f.Field)
				}
			} else if err != nil {
				t.Fatalf("not a domain error: %v", err)
			}
			if got := strings.Join(fields, " "); got != tt.fields {
				t.Errorf("invalid %q, want %q (%v)", got, tt.fields, err)
			}
		})
	}
	t.Run("WriteActivity checks first", func(t *testing.T) {
		w, _ := NewWriter(&bytes.Buffer{}, CSV, ActivityColumns(nil), Options{})
		_, err := WriteActivity(context.Background(), nil, ActivityQuery{From: day("2025-02-01"), To: day("2025-01-01")}, w)
		if domain.ErrorCode(err) != domain.ErrInvalid {
			t.Errorf("got %v", err)
		}
	})
}

// cancelOnWrite cancels its context at the first bytes it gets.
type cancelOnWrite struct {
	cancel context.CancelFunc
	n      int
}

func (c *cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	c.n += len(p)
	return len(p), nil
}

func TestActivityExportHonoursCancellation(t *testing.T) {
	fx := newFixture(t)
	// 20,000 more consultations, so the export is still running when it is cancelled.
	if _, err := fx.db.Exec(`INSERT INTO consultations (id, case_id, advisor_id, date, duration_minutes, mode, topics, summary, phase)
		SELECT gen_random_uuid(), $1, $2, DATE '2025-01-01' + (g % 90), 30, 'phone', '{financing}', 'x', 'founding'
		FROM generate_series(1, 20000) g`, fx.case1, fx.anna); err != nil {
		t.Fatal(err)
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		out := &cancelOnWrite{cancel: cancel}
		w, err := NewWriter(out, CSV, ActivityColumns(nil), Options{FlushInterval: time.Nanosecond})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		n, err := WriteActivity(ctx, fx.db, q2025, w)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v after %d rows", err, n)
		}
		if n >= 20_000 || time.Since(start) > 5*time.Second {
			t.Errorf("ran on: %d rows in %s", n, time.Since(start))
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		var out bytes.Buffer
		w, _ := NewWriter(&out, CSV, ActivityColumns(nil), Options{})
		n, err := WriteActivity(ctx, fx.db, q2025, w)
		if err != nil || n != 20_006 {
			t.Errorf("got %d rows, %v", n, err)
		}
	})
	t.Run("the connection is usable afterwards", func(t *testing.T) {
		var n int
		if err := fx.db.Get(&n, `SELECT count(*) FROM consultations`); err != nil || n != 20_008 {
			t.Errorf("count %d, %v", n, err)
		}
	})
}
