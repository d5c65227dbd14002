package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// searchEnv: two carriers; in the first a coordinator and two advisors (a1 leads most
// cases, a2 one), in the second an advisor. Scopes are given directly (as Casbin would
// compute them), so each scope shape is tested on its own.
type searchEnv struct {
	st                *store.Store
	c1, c2            uuid.UUID
	coord, a1, a2, b1 uuid.UUID
	pm                uuid.UUID
	cases             map[string]uuid.UUID // founder's name → case
	founders          map[string]uuid.UUID // founder's name → founder
}

func str(s string) *string { return &s }
func year(y int) *int      { return &y }

func newSearchEnv(t *testing.T) *searchEnv {
	t.Helper()
	ctx := context.Background()
	db := testdb.New(t)
	e := &searchEnv{st: db.Store, cases: map[string]uuid.UUID{}, founders: map[string]uuid.UUID{}, pm: uuid.New()}
	sys := domain.Actor{System: true}
	for i, c := range []*uuid.UUID{&e.c1, &e.c2} {
		k, err := e.st.CreateCarrier(ctx, sys, domain.CarrierInput{Name: fmt.Sprintf("Träger %d", i), ShortName: fmt.Sprintf("T%d", i)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*c = k.ID
	}
	for i, a := range []struct {
		id      *uuid.UUID
		role    string
		carrier uuid.UUID
	}{{&e.a1, domain.RoleAdvisor, e.c1}, {&e.a2, domain.RoleAdvisor, e.c1}, {&e.b1, domain.RoleAdvisor, e.c2},
		{&e.coord, domain.RoleCoordinator, e.c1}} {
		u, err := e.st.CreateUser(ctx, sys, domain.UserInput{Email: fmt.Sprintf("u%d@x.de", i), Name: fmt.Sprintf("Person %d", i),
			Password: "Suche-im-Fallbestand-2026"}, []domain.Membership{{Role: a.role, CarrierID: &a.carrier}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		*a.id = u.ID
	}
	e.st.Authorize = func(user uuid.UUID, _ domain.Action) domain.Scope {
		s := domain.Scope{User: user}
		switch user {
		case e.coord:
			s.Carriers = []uuid.UUID{e.c1}
		case e.a1, e.a2:
			s.Own = []uuid.UUID{e.c1}
		case e.b1:
			s.Own = []uuid.UUID{e.c2}
		case e.pm:
			s.All = true
		}
		return s
	}
	sys.UserID = e.coord // who took the cases in (the phase transitions name someone)
	for _, f := range []struct {
		carrier, lead uuid.UUID
		given, family string
		fill          func(*domain.FounderData)
	}{
		{e.c1, e.a1, "Fatma", "Yılmaz", nil},
		{e.c1, e.a1, "Jusuf", "Al-Sayed", func(d *domain.FounderData) {
			d.Email, d.Phone, d.Postcode, d.City, d.BirthYear = str("Jusuf.AlSayed@example.org"), str("+49 170 1234567"), str("10115"), str("Berlin"), year(1985)
		}},
		{e.c1, e.a1, "Hans", "Müller", func(d *domain.FounderData) { d.City = str("Köln") }},
		{e.c1, e.a1, "Ayşe", "Öztürk", nil},
		{e.c1, e.a1, "Mehmet", "Kaya", nil},
		{e.c1, e.a1, "Olena", "Shevchenko", nil},
		{e.c1, e.a2, "Lina", "Haddad", func(d *domain.FounderData) { d.BirthYear, d.Postcode = year(1990), str("20095") }},
		{e.c2, e.b1, "Yusuf", "Alsayed", func(d *domain.FounderData) {
			d.Email, d.Phone, d.Postcode, d.BirthYear = str("jusuf.alsayed@example.org"), str("01701234567"), str("10115"), year(1985)
		}},
		{e.c2, e.b1, "Fatima", "Müller", nil},
	} {
		d := domain.DefaultFounderData()
		d.GivenName, d.FamilyName = f.given, f.family
		if f.fill != nil {
			f.fill(&d)
		}
		c, err := e.st.CreateCase(ctx, sys, domain.Intake{CarrierID: &f.carrier, LeadAdvisorID: &f.lead, Founder: &d}, nil)
		if err != nil {
			t.Fatalf("%s %s: %v", f.given, f.family, err)
		}
		e.cases[f.given+" "+f.family] = c.ID
		e.founders[f.given+" "+f.family] = c.Founder.ID
	}
	return e
}

// search lists the founders' names that user's case list shows for q.
func (e *searchEnv) search(t *testing.T, user uuid.UUID, q string) []string {
	t.Helper()
	items, _, err := e.st.Cases(context.Background(), domain.Actor{UserID: user}, domain.CaseFilter{Query: q})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	names := []string{}
	for _, it := range items {
		names = append(names, it.FounderName)
	}
	slices.Sort(names)
	return names
}

// TestSearchToleratesTransliteration: the spellings of one name find each other —
// accents, German umlaut spellings, j/y, hyphens, left-out vowels — and e-mail, phone,
// postcode and city find their founder; unrelated names are not found.
func TestSearchToleratesTransliteration(t *testing.T) {
	e := newSearchEnv(t)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"Fatima", []string{"Fatma Yılmaz"}},
		{"fatma", []string{"Fatma Yılmaz"}},
		{"Yilmaz", []string{"Fatma Yılmaz"}},
		{"Fatima Yilmaz", []string{"Fatma Yılmaz"}},
		{"Yusuf", []string{"Jusuf Al-Sayed"}},
		{"Alsayed", []string{"Jusuf Al-Sayed"}},
		{"al sayed", []string{"Jusuf Al-Sayed"}},
		{"El-Sayed", []string{"Jusuf Al-Sayed"}},
		{"Muller", []string{"Hans Müller"}},
		{"Mueller", []string{"Hans Müller"}},
		{"MÜLLER", []string{"Hans Müller"}},
		{"ozturk", []string{"Ayşe Öztürk"}},
		{"Oeztuerk", []string{"Ayşe Öztürk"}},
		{"Ayse", []string{"Ayşe Öztürk"}},
		{"Öz", []string{"Ayşe Öztürk"}},
		{"Schewtschenko", []string{"Olena Shevchenko"}},
		{"aya", []string{"Mehmet Kaya"}},                 // a part of a name, as before
		{"Koeln", []string{"Hans Müller"}},               // city
		{"berlin", []string{"Jusuf Al-Sayed"}},           // city
		{"10115", []string{"Jusuf Al-Sayed"}},            // postcode
		{"0170 / 123 45 67", []string{"Jusuf Al-Sayed"}}, // phone, as digits
		{"+491701234567", []string{"Jusuf Al-Sayed"}},
		{"JUSUF.alsayed@EXAMPLE.org", []string{"Jusuf Al-Sayed"}},
		// unrelated names and near misses are not found
		{"Fatih", []string{}},
		{"Yasmin", []string{}},
		{"Ali Kaya", []string{}},
		{"Kayali", []string{}},
		{"Meier", []string{}},
		{"1011", []string{}},
		{"0170 123456", []string{}},
		{"_", []string{}},
		{"%", []string{}},
	} {
		if got := e.search(t, e.coord, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("coordinator searches %q: %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestSearchRespectsScope: another carrier's founders are never found, an advisor finds
// only the cases they advise, a programme manager everything.
func TestSearchRespectsScope(t *testing.T) {
	e := newSearchEnv(t)
	for _, tc := range []struct {
		who  string
		user uuid.UUID
		q    string
		want []string
	}{
		{"coordinator of c1", e.coord, "Yusuf", []string{"Jusuf Al-Sayed"}},
		{"coordinator of c1", e.coord, "Fatima", []string{"Fatma Yılmaz"}},
		{"coordinator of c1", e.coord, "jusuf.alsayed@example.org", []string{"Jusuf Al-Sayed"}},
		{"coordinator of c1", e.coord, "Haddad", []string{"Lina Haddad"}},
		{"advisor a1", e.a1, "Haddad", []string{}},
		{"advisor a2", e.a2, "Haddad", []string{"Lina Haddad"}},
		{"advisor a2", e.a2, "Yusuf", []string{}},
		{"advisor b1 of c2", e.b1, "Yusuf", []string{"Yusuf Alsayed"}},
		{"advisor b1 of c2", e.b1, "Muller", []string{"Fatima Müller"}},
		{"programme manager", e.pm, "Yusuf", []string{"Jusuf Al-Sayed", "Yusuf Alsayed"}},
		{"programme manager", e.pm, "10115", []string{"Jusuf Al-Sayed", "Yusuf Alsayed"}},
	} {
		if got := e.search(t, tc.user, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s searches %q: %v, want %v", tc.who, tc.q, got, tc.want)
		}
	}
}

// TestSimilarFounders: likely duplicates within the carrier and the caller's scope,
// ranked by the strength of what agrees, with the fields that agree and the cases.
func TestSimilarFounders(t *testing.T) {
	e := newSearchEnv(t)
	ctx := context.Background()
	similar := func(t *testing.T, user, carrier uuid.UUID, in domain.FounderCandidate) []domain.FounderMatch {
		t.Helper()
		ms, err := e.st.SimilarFounders(ctx, domain.Actor{UserID: user}, carrier, in)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	describe := func(ms []domain.FounderMatch) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name+" "+strings.Join(m.Matched, ","))
		}
		return strings.Join(out, "; ")
	}

	t.Run("name_birth_year_postcode", func(t *testing.T) {
		ms := similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: "Yusuf", FamilyName: "Alsayed", BirthYear: year(1985), Postcode: str("10115")})
		if got := describe(ms); got != "Jusuf Al-Sayed name,birth_year,postcode" {
			t.Fatalf("got %q", got)
		}
		m := ms[0]
		if m.FounderID != e.founders["Jusuf Al-Sayed"] || m.CaseCount != 1 || !slices.Equal(m.CaseIDs, []uuid.UUID{e.cases["Jusuf Al-Sayed"]}) ||
			*m.BirthYear != 1985 || *m.Postcode != "10115" || *m.City != "Berlin" {
			t.Fatalf("match %+v", m)
		}
	})
	t.Run("contact_data_alone", func(t *testing.T) {
		for _, tc := range []struct {
			in   domain.FounderCandidate
			want string
		}{
			{domain.FounderCandidate{GivenName: "J.", FamilyName: "Unbekannt", Email: str(" JUSUF.alsayed@example.ORG ")}, "Jusuf Al-Sayed email"},
			{domain.FounderCandidate{Phone: str("0049 (170) 123 45 67")}, "Jusuf Al-Sayed phone"},
			{domain.FounderCandidate{Email: str("jusuf.alsayed@example.org"), Phone: str("0170-1234567")}, "Jusuf Al-Sayed email,phone"},
		} {
			if got := describe(similar(t, e.coord, e.c1, tc.in)); got != tc.want {
				t.Errorf("%+v: %q, want %q", tc.in, got, tc.want)
			}
		}
	})
	t.Run("transliterated_and_swapped_names", func(t *testing.T) {
		for _, tc := range []struct {
			given, family, want string
		}{
			{"Fatima", "Yilmaz", "Fatma Yılmaz name"},
			{"Yilmaz", "Fatma", "Fatma Yılmaz name"},
			{"Ayse", "Oeztuerk", "Ayşe Öztürk name"},
			{"Hans", "Mueller", "Hans Müller name"},
			{"Olena", "Schewtschenko", "Olena Shevchenko name"},
			{"Fatima", "Kaya", ""},   // a similar given name alone is no duplicate
			{"Peter", "Müller", ""},  // nor a family name alone
			{"Mehmet", "Kayali", ""}, // nor a family name that only shares a syllable
			{"Fatih", "Yilmaz", ""},  // nor a different given name
		} {
			if got := describe(similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: tc.given, FamilyName: tc.family})); got != tc.want {
				t.Errorf("%s %s: %q, want %q", tc.given, tc.family, got, tc.want)
			}
		}
	})
	t.Run("partial_names_with_birth_year_or_postcode", func(t *testing.T) {
		got := describe(similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: "Leyla", FamilyName: "Haddad", BirthYear: year(1990)}))
		if got != "Lina Haddad family_name,birth_year" {
			t.Errorf("family name and birth year: %q", got)
		}
		got = describe(similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: "Lina", FamilyName: "Schulz", BirthYear: year(1990), Postcode: str("20095")}))
		if got != "Lina Haddad given_name,birth_year,postcode" {
			t.Errorf("given name, birth year and postcode (a married name): %q", got)
		}
	})
	t.Run("ranked_by_strength", func(t *testing.T) {
		// Fatma Yılmaz by name; Jusuf Al-Sayed by e-mail ranks first.
		got := describe(similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: "Fatma", FamilyName: "Yilmaz", Email: str("jusuf.alsayed@example.org")}))
		if got != "Jusuf Al-Sayed email; Fatma Yılmaz name" {
			t.Fatalf("got %q", got)
		}
		// Exactly alike ranks above alike by folding.
		for i := 0; i < 6; i++ {
			d := domain.DefaultFounderData()
			d.GivenName, d.FamilyName = "Ayse", fmt.Sprintf("Öztürk-%d", i)
			if i == 5 {
				d.FamilyName = "Ozturk"
			}
			if _, err := e.st.CreateCase(ctx, domain.Actor{System: true, UserID: e.coord}, domain.Intake{CarrierID: &e.c1, LeadAdvisorID: &e.a1, Founder: &d}, nil); err != nil {
				t.Fatal(err)
			}
		}
		ms := similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: "Ayşe", FamilyName: "Öztürk"})
		if len(ms) != 5 {
			t.Fatalf("%d matches, at most 5: %s", len(ms), describe(ms))
		}
		if !strings.HasPrefix(describe(ms), "Ayşe Öztürk name; Ayse Ozturk name; ") {
			t.Fatalf("the exact spellings first: %s", describe(ms))
		}
	})
	t.Run("cases_and_scope", func(t *testing.T) {
		// A second case of Jusuf, led by a2: the coordinator sees both, a2 only theirs,
		// a1 only theirs; the count is the carrier's.
		jusuf := e.founders["Jusuf Al-Sayed"]
		// A founder has one open case at a time (store.CreateCase): the first is closed.
		first, err := e.st.ReadCase(ctx, domain.Actor{System: true}, e.cases["Jusuf Al-Sayed"])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.CloseCase(ctx, domain.Actor{System: true, UserID: e.coord}, first.ID, first.Version, domain.Closing{Reason: "handed_over"}); err != nil {
			t.Fatal(err)
		}
		second, err := e.st.CreateCase(ctx, domain.Actor{System: true, UserID: e.coord}, domain.Intake{CarrierID: &e.c1, LeadAdvisorID: &e.a2, FounderID: &jusuf}, nil)
		if err != nil {
			t.Fatal(err)
		}
		in := domain.FounderCandidate{GivenName: "Yusuf", FamilyName: "Al Sayed"}
		both := []uuid.UUID{e.cases["Jusuf Al-Sayed"], second.ID}
		slices.SortFunc(both, func(a, b uuid.UUID) int { return -strings.Compare(a.String(), b.String()) }) // same day: newer id first
		for _, tc := range []struct {
			who  string
			user uuid.UUID
			ids  []uuid.UUID
		}{{"coordinator", e.coord, both}, {"a1", e.a1, []uuid.UUID{e.cases["Jusuf Al-Sayed"]}}, {"a2", e.a2, []uuid.UUID{second.ID}}} {
			ms := similar(t, tc.user, e.c1, in)
			if len(ms) != 1 || ms[0].CaseCount != 2 || !slices.Equal(ms[0].CaseIDs, tc.ids) {
				t.Errorf("%s: %+v, want case ids %v of 2", tc.who, ms, tc.ids)
			}
		}
		// a2 advises no case of Fatma: not found. The other carrier's Yusuf Alsayed (same
		// e-mail, phone, postcode and birth year) is never found from c1.
		if ms := similar(t, e.a2, e.c1, domain.FounderCandidate{GivenName: "Fatma", FamilyName: "Yilmaz"}); len(ms) != 0 {
			t.Errorf("a2 finds a founder of another advisor: %s", describe(ms))
		}
		ms := similar(t, e.pm, e.c1, domain.FounderCandidate{GivenName: "Yusuf", FamilyName: "Alsayed", Email: str("jusuf.alsayed@example.org"), Phone: str("01701234567")})
		if len(ms) != 1 || ms[0].FounderID != jusuf {
			t.Errorf("programme manager in c1: %s", describe(ms))
		}
		// Asking about a carrier outside the scope is the 404 of an unknown one.
		_, err = e.st.SimilarFounders(ctx, domain.Actor{UserID: e.coord}, e.c2, in)
		if domain.ErrorCode(err) != domain.ErrNotFound {
			t.Errorf("coordinator of c1 asks in c2: %v", err)
		}
	})
	t.Run("bad_and_empty_input", func(t *testing.T) {
		_, err := e.st.SimilarFounders(ctx, domain.Actor{UserID: e.coord}, e.c1, domain.FounderCandidate{FamilyName: strings.Repeat("x", 101)})
		if domain.ErrorCode(err) != domain.ErrInvalid {
			t.Errorf("over-long name: %v", err)
		}
		if ms := similar(t, e.coord, e.c1, domain.FounderCandidate{GivenName: "Fatma", BirthYear: year(1990), Postcode: str(" ")}); len(ms) != 0 {
			t.Errorf("no family name, e-mail or phone: %s", describe(ms))
		}
	})
}

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	Plans        []planNode `json:"Plans"`
}

// TestCaseListsWalkAnIndex: for every shape of scope, with and without a search, first
// and later pages, the list's SQL reads no case and no founder without an index, and
// the branch of the scope walks its keyset index and takes its page in index order (no
// Sort between the scan and its LIMIT; a co-advisor's few cases are sorted). On a small database PostgreSQL would rather read the whole
// table, so sequential and bitmap scans are switched off for the statement: the test
// shows that an index-ordered plan exists; bench/explain shows that PostgreSQL picks it
// at 100,000 founders.
func TestCaseListsWalkAnIndex(t *testing.T) {
	e := newSearchEnv(t)
	ctx := context.Background()
	_, cursor, err := e.st.Cases(ctx, domain.Actor{UserID: e.coord}, domain.CaseFilter{Limit: 2})
	if err != nil || cursor == "" {
		t.Fatalf("a cursor: %q %v", cursor, err)
	}
	coord := domain.Scope{User: e.coord, Carriers: []uuid.UUID{e.c1}}
	for _, tc := range []struct {
		name  string
		scope domain.Scope
		f     domain.CaseFilter
		index string
	}{
		{"all", domain.Scope{User: e.pm, All: true}, domain.CaseFilter{}, "cases_opened"},
		{"carrier", coord, domain.CaseFilter{}, "cases_carrier_opened"},
		{"carrier_later_page", coord, domain.CaseFilter{Cursor: cursor}, "cases_carrier_opened"},
		{"carrier_phase", coord, domain.CaseFilter{Phase: domain.PhaseFounding, Status: "active"}, "cases_carrier_opened"},
		{"two_carriers", domain.Scope{User: e.pm, Carriers: []uuid.UUID{e.c1, e.c2}}, domain.CaseFilter{}, "cases_carrier_opened"},
		{"own", domain.Scope{User: e.a1, Own: []uuid.UUID{e.c1}}, domain.CaseFilter{}, "cases_lead_carrier_opened"},
		{"own_later_page", domain.Scope{User: e.a1, Own: []uuid.UUID{e.c1}}, domain.CaseFilter{Cursor: cursor}, "cases_lead_carrier_opened"},
		{"carrier_and_own", domain.Scope{User: e.b1, Carriers: []uuid.UUID{e.c1}, Own: []uuid.UUID{e.c2}}, domain.CaseFilter{}, "cases_lead_carrier_opened"},
		{"advisor_filter", coord, domain.CaseFilter{AdvisorID: &e.a1}, "cases_lead_carrier_opened"},
		{"advisor_filter_all", domain.Scope{User: e.pm, All: true}, domain.CaseFilter{AdvisorID: &e.a1}, "cases_lead_opened"},
		{"carrier_search", coord, domain.CaseFilter{Query: "Fatima"}, "cases_carrier_opened"},
		{"own_search", domain.Scope{User: e.a1, Own: []uuid.UUID{e.c1}}, domain.CaseFilter{Query: "al sayed"}, "cases_lead_carrier_opened"},
		// a search may start from the founders the index finds: no keyset index needed
		{"all_search_phone", domain.Scope{User: e.pm, All: true}, domain.CaseFilter{Query: "0170 1234567"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query, args, _, err := e.st.CasesQuery(ctx, tc.scope, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			tx, err := e.st.DB.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec(`SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off`); err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := tx.QueryRow("EXPLAIN (FORMAT JSON) "+query, args...).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(raw, &plans); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			var walk func(n planNode, sortSinceLimit bool)
			walk = func(n planNode, sortSinceLimit bool) {
				switch n.NodeType {
				case "Limit":
					sortSinceLimit = false
				case "Sort", "Incremental Sort":
					sortSinceLimit = true
				}
				if (n.RelationName == "cases" || n.RelationName == "founders") && !strings.Contains(n.NodeType, "Index") {
					t.Errorf("%s on %s:\n%s", n.NodeType, n.RelationName, raw)
				}
				if n.RelationName == "cases" && n.IndexName == tc.index {
					seen[n.IndexName] = true
					if sortSinceLimit {
						t.Errorf("%s is sorted again before its LIMIT:\n%s", n.IndexName, raw)
					}
				}
				for _, c := range n.Plans {
					walk(c, sortSinceLimit)
				}
			}
			walk(plans[0].Plan, false)
			if tc.index != "" && !seen[tc.index] {
				t.Errorf("%s not walked (%v):\n%s", tc.index, seen, raw)
			}
		})
	}
}

// TestCaseListBranchesAgree: each scope shape lists exactly its cases — led,
// co-advised, whole carriers, everything, or an advisor's within the scope — once each,
// in keyset order, and walking small pages gives the same list.
func TestCaseListBranchesAgree(t *testing.T) {
	e := newSearchEnv(t)
	ctx := context.Background()
	fatma := e.cases["Fatma Yılmaz"]
	if _, err := e.st.AssignAdvisors(ctx, domain.Actor{UserID: e.coord}, fatma, 1,
		domain.AdvisorAssignment{LeadAdvisorID: e.a1, CoAdvisorIDs: []uuid.UUID{e.a2}}); err != nil {
		t.Fatal(err)
	}
	list := func(t *testing.T, user uuid.UUID, f domain.CaseFilter) []uuid.UUID {
		t.Helper()
		var out []uuid.UUID
		for page := 0; page < 20; page++ {
			items, next, err := e.st.Cases(ctx, domain.Actor{UserID: user}, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				out = append(out, it.ID)
			}
			if next == "" {
				return out
			}
			f.Cursor = next
		}
		t.Fatal("more than 20 pages")
		return nil
	}
	ids := func(names ...string) []uuid.UUID {
		var out []uuid.UUID
		for _, n := range names {
			out = append(out, e.cases[n])
		}
		slices.SortFunc(out, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		return out
	}
	c1 := []string{"Fatma Yılmaz", "Jusuf Al-Sayed", "Hans Müller", "Ayşe Öztürk", "Mehmet Kaya", "Olena Shevchenko", "Lina Haddad"}
	a2 := domain.CaseFilter{AdvisorID: &e.a2}
	for _, tc := range []struct {
		who  string
		user uuid.UUID
		f    domain.CaseFilter
		want []uuid.UUID
	}{
		{"a1 (leads six)", e.a1, domain.CaseFilter{}, ids(c1[:6]...)},
		{"a2 (leads one, co-advises one)", e.a2, domain.CaseFilter{}, ids("Lina Haddad", "Fatma Yılmaz")},
		{"b1 (other carrier)", e.b1, domain.CaseFilter{}, ids("Yusuf Alsayed", "Fatima Müller")},
		{"coordinator", e.coord, domain.CaseFilter{}, ids(c1...)},
		{"coordinator, advisor a2", e.coord, a2, ids("Lina Haddad", "Fatma Yılmaz")},
		{"programme manager", e.pm, domain.CaseFilter{}, ids(append(c1, "Yusuf Alsayed", "Fatima Müller")...)},
		{"programme manager, advisor a2", e.pm, a2, ids("Lina Haddad", "Fatma Yılmaz")},
		{"a2, advisor a1 (only what a2 may read)", e.a2, domain.CaseFilter{AdvisorID: &e.a1}, ids("Fatma Yılmaz")},
		{"b1, advisor a2 (outside the scope)", e.b1, a2, nil},
		{"a2, search", e.a2, domain.CaseFilter{Query: "fatima"}, ids("Fatma Yılmaz")},
	} {
		full := list(t, tc.user, tc.f)
		got := slices.Clone(full)
		slices.SortFunc(got, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %d cases %v, want %v", tc.who, len(got), got, tc.want)
		}
		for _, limit := range []int{1, 2, 3} {
			f := tc.f
			f.Limit = limit
			if paged := list(t, tc.user, f); !slices.Equal(paged, full) {
				t.Errorf("%s, pages of %d: %v, want %v", tc.who, limit, paged, full)
			}
		}
	}
}
