package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// The permission matrix of docs/access.md over the real router: every route × every kind of
// caller × every kind of object, with the status the caller must get.

const roleAnonymous = "anonymous"

// objKind is the relation of the object a request names to the caller.
type objKind string

const (
	ownObj   objKind = "own"           // the caller's own object (an advisor's own case, own token, own carrier)
	sameObj  objKind = "same_carrier"  // another person's object in the caller's carrier
	otherObj objKind = "other_carrier" // an object of the other carrier
	noneObj  objKind = "nonexistent"   // an id nobody has
	noObj    objKind = "no_object"     // the route names no object
)

var objectKinds = []objKind{ownObj, sameObj, otherObj, noneObj}

// reach is how far a role gets with a route.
type reach int

const (
	never       reach = iota // 403: the role may never do this
	ownOnly                  // only the caller's own objects
	carrierWide              // every object of the caller's carrier
	everywhere               // every object there is
)

// matrixCall is one request of a matrix row.
type matrixCall struct {
	path    string
	body    any
	headers []string
}

// matrixEntry is one route of the matrix.
type matrixEntry struct {
	method, path string
	public       bool             // anyone, signed in or not, gets ok
	reach        map[string]reach // per role; a role left out may never (403)
	objects      bool             // the route names an object: every objKind is tried
	ok           int              // the answer when allowed
	outside      int              // the answer for an object out of reach (default 404)
	session      bool             // the row needs its own session: it ends or starts one
	cloneForOwn  bool             // "own" means the caller itself, and the row would destroy it
	clone        bool             // the row ends every session of the caller: run it as a clone
	authorOnly   bool             // only the author may: others in scope get 403
	call         func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall
	check        func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response)
}

func (e matrixEntry) page() bool {
	return !strings.HasPrefix(e.path, "/api/") && e.path != "/healthz" && e.path != "/readyz" && e.path != "/metrics"
}

// want is the status the matrix promises role for an object of kind k.
func (e matrixEntry) want(role string, k objKind) int {
	if e.public {
		return e.ok
	}
	if role == roleAnonymous {
		if e.page() {
			return http.StatusSeeOther
		}
		return http.StatusUnauthorized
	}
	re := e.reach[role]
	if re == never {
		return http.StatusForbidden
	}
	if k == noObj {
		return e.ok
	}
	allowed := false
	switch re {
	case everywhere:
		allowed = k != noneObj
	case carrierWide:
		allowed = k == ownObj || k == sameObj
	case ownOnly:
		allowed = k == ownObj
	}
	switch {
	case allowed && e.authorOnly && k != ownObj:
		return http.StatusForbidden
	case allowed:
		return e.ok
	case e.outside != 0:
		return e.outside
	}
	return http.StatusNotFound
}

func reachSignedIn(r reach) map[string]reach {
	return map[string]reach{domain.RoleAdvisor: r, domain.RoleCoordinator: r, domain.RoleProgrammeManager: r, domain.RoleAdmin: r}
}

func reachCounselling(advisor, coordinator reach) map[string]reach {
	return map[string]reach{domain.RoleAdvisor: advisor, domain.RoleCoordinator: coordinator}
}

var reachAdminOnly = map[string]reach{domain.RoleAdmin: everywhere}

// matrixCaller is one kind of caller with a signed-in client (nil for anonymous).
type matrixCaller struct {
	role    string
	email   string
	id      uuid.UUID
	carrier uuid.UUID
	client  *testenv.Client
}

// matrixFixture: carriers C1 and C2; advisors A1 (leads K1) and A2 (leads K2) and a coordinator
// in C1; advisor B1 (leads K3) in C2; a programme manager and an admin.
type matrixFixture struct {
	app            *testenv.App
	c1, c2         uuid.UUID
	a1, a2, co, b1 uuid.UUID
	k1, k2, k3     uuid.UUID
	principals     []*matrixCaller
	hash           string
	seq            atomic.Int64
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	app := testenv.NewApp(t)
	f := &matrixFixture{app: app}
	f.c1, f.c2 = app.Carrier(t, "C1"), app.Carrier(t, "C2")
	f.a1 = app.User(t, "a1@c1.test", domain.RoleAdvisor, f.c1)
	f.a2 = app.User(t, "a2@c1.test", domain.RoleAdvisor, f.c1)
	f.co = app.User(t, "co@c1.test", domain.RoleCoordinator, f.c1)
	f.b1 = app.User(t, "b1@c2.test", domain.RoleAdvisor, f.c2)
	pm := app.User(t, "pm@x.test", domain.RoleProgrammeManager, uuid.Nil)
	admin := app.User(t, "admin@x.test", domain.RoleAdmin, uuid.Nil)
	f.k1 = f.newCase(t, f.a1, f.c1)
	f.k2 = f.newCase(t, f.a2, f.c1)
	f.k3 = f.newCase(t, f.b1, f.c2)
	var err error
	if f.hash, err = domain.HashPassword(context.Background(), testenv.Password); err != nil {
		t.Fatal(err)
	}
	f.principals = []*matrixCaller{
		{role: roleAnonymous, client: app.Anonymous(t)},
		{role: domain.RoleAdvisor, email: "a1@c1.test", id: f.a1, carrier: f.c1},
		{role: domain.RoleCoordinator, email: "co@c1.test", id: f.co, carrier: f.c1},
		{role: domain.RoleProgrammeManager, email: "pm@x.test", id: pm},
		{role: domain.RoleAdmin, email: "admin@x.test", id: admin},
	}
	for _, p := range f.principals[1:] {
		p.client = app.SignIn(t, p.email)
	}
	return f
}

func (f *matrixFixture) next() int64 { return f.seq.Add(1) }

// newCase takes in a new founder with a case led by lead in carrier, through the store.
func (f *matrixFixture) newCase(t *testing.T, lead, carrier uuid.UUID) uuid.UUID {
	t.Helper()
	fd := domain.DefaultFounderData()
	fd.GivenName, fd.FamilyName = "Matrix", fmt.Sprintf("Founder%d", f.next())
	cs, err := f.app.DB.Store.CreateCase(context.Background(), domain.Actor{UserID: lead, System: true},
		domain.Intake{CarrierID: &carrier, LeadAdvisorID: &lead, Founder: &fd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cs.ID
}

// sharedCase is the long-lived case of kind k, for reading routes.
func (f *matrixFixture) sharedCase(k objKind) uuid.UUID {
	switch k {
	case ownObj:
		return f.k1
	case sameObj:
		return f.k2
	case otherObj:
		return f.k3
	}
	return uuid.New()
}

// freshCase is a new case of kind k, for changing routes: own is led by A1 (the advisor
// matrixCaller), same carrier by A2, other carrier by B1.
func (f *matrixFixture) freshCase(t *testing.T, k objKind) uuid.UUID {
	switch k {
	case ownObj:
		return f.newCase(t, f.a1, f.c1)
	case sameObj:
		return f.newCase(t, f.a2, f.c1)
	case otherObj:
		return f.newCase(t, f.b1, f.c2)
	}
	return uuid.New()
}

// closedCase is a fresh case of kind k that is closed (version 2).
func (f *matrixFixture) closedCase(t *testing.T, k objKind) uuid.UUID {
	id := f.freshCase(t, k)
	if k == noneObj {
		return id
	}
	cs, err := f.app.DB.Store.ReadCase(context.Background(), domain.Actor{System: true}, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.app.DB.Store.CloseCase(context.Background(), domain.Actor{UserID: cs.LeadAdvisorID, System: true}, id, cs.Version, domain.Closing{Reason: "abandoned"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// founderOf is the founder of case id, or a random id for a case that does not exist.
func (f *matrixFixture) founderOf(t *testing.T, id uuid.UUID) uuid.UUID {
	cs, err := f.app.DB.Store.ReadCase(context.Background(), domain.Actor{System: true}, id)
	if domain.ErrorCode(err) == domain.ErrNotFound {
		return uuid.New()
	}
	if err != nil {
		t.Fatal(err)
	}
	return cs.Founder.ID
}

// version is the current version of case id ("1" for one that does not exist).
func (f *matrixFixture) version(t *testing.T, id uuid.UUID) string {
	cs, err := f.app.DB.Store.ReadCase(context.Background(), domain.Actor{System: true}, id)
	if domain.ErrorCode(err) == domain.ErrNotFound {
		return `"1"`
	}
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`"%d"`, cs.Version)
}

// userOf is the user of kind k seen from p: p itself, A2 (C1) or B1 (C2).
func (f *matrixFixture) userOf(p *matrixCaller, k objKind) uuid.UUID {
	switch k {
	case ownObj:
		if p.id == uuid.Nil {
			return f.a1
		}
		return p.id
	case sameObj:
		return f.a2
	case otherObj:
		return f.b1
	}
	return uuid.New()
}

// freshUser adds an account holding role (in carrier, or globally) without the cost of
// hashing a password again.
func (f *matrixFixture) freshUser(t *testing.T, role string, carrier uuid.UUID) (uuid.UUID, string) {
	t.Helper()
	ctx := context.Background()
	email := fmt.Sprintf("fresh%d@x.test", f.next())
	// Straight into the table with the hash made once: the use case would hash anew.
	id := uuid.New()
	if _, err := f.app.DB.Store.DB.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $2, $3)`, id, email, f.hash); err != nil {
		t.Fatal(err)
	}
	m := domain.Membership{Role: role}
	if carrier != uuid.Nil {
		m.CarrierID = &carrier
	}
	if _, err := f.app.DB.Store.SetRoles(ctx, domain.Actor{System: true}, id, []domain.Membership{m}); err != nil {
		t.Fatal(err)
	}
	if err := f.app.Authz.Reload(); err != nil {
		t.Fatal(err)
	}
	if role == domain.RoleAdmin { // administrators must have a second factor
		f.app.EnrolSecondFactor(t, id)
	}
	return id, email
}

// freshToken creates a personal API token of owner and returns its id.
func (f *matrixFixture) freshToken(t *testing.T, owner uuid.UUID) uuid.UUID {
	t.Helper()
	tok, err := f.app.DB.Store.CreateToken(context.Background(), domain.Actor{UserID: owner},
		domain.TokenInput{Name: "matrix", Password: testenv.Password}, fmt.Sprintf("lotse_matrix_%d_%s", f.next(), uuid.NewString()), nil, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// carrierOf is the carrier of kind k seen from p: own is p's carrier (C1 for global roles).
func (f *matrixFixture) carrierOf(k objKind) uuid.UUID {
	switch k {
	case ownObj, sameObj:
		return f.c1
	case otherObj:
		return f.c2
	}
	return uuid.New()
}

func ifMatchHeader(v string) []string { return []string{"If-Match", v} }

func getRow(path string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall { return matrixCall{path: path} }
}

// onSharedCase builds a request on the long-lived case of kind k.
func onSharedCase(suffix string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
		return matrixCall{path: "/api/v1/cases/" + f.sharedCase(k).String() + suffix}
	}
}

// onFreshCase builds a versioned change of a fresh case of kind k.
func onFreshCase(suffix string, body any) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
		id := f.freshCase(t, k)
		return matrixCall{path: "/api/v1/cases/" + id.String() + suffix, body: body, headers: ifMatchHeader(f.version(t, id))}
	}
}

// entries is the matrix: every route of the route table, with who may use it how far.
func (f *matrixFixture) entries() []matrixEntry {
	const (
		get_, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	readCases := reachCounselling(ownOnly, carrierWide)
	base := []matrixEntry{
		// operations
		{method: get_, path: "/healthz", public: true, ok: 200, call: getRow("/healthz")},
		{method: get_, path: "/readyz", public: true, ok: 200, call: getRow("/readyz")},
		// absent from the main listener unless LOTSE_METRICS_PUBLIC (gates_test.go tests both)
		{method: get_, path: "/metrics", public: true, ok: 404, call: getRow("/metrics")},
		{method: get_, path: "/api/v1/openapi.yaml", public: true, ok: 200, call: getRow("/api/v1/openapi.yaml")},

		// account
		{method: post, path: "/api/v1/session", public: true, ok: 200, session: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				email := p.email
				if email == "" {
					email = "a2@c1.test"
				}
				// administrators sign in with a second factor
				return matrixCall{path: "/api/v1/session", body: map[string]string{"email": email, "password": testenv.Password, "otp": f.app.OTP(t, email)}}
			}},
		{method: del, path: "/api/v1/session", reach: reachSignedIn(everywhere), ok: 204, session: true, call: getRow("/api/v1/session")},
		{method: get_, path: "/api/v1/me", reach: reachSignedIn(everywhere), ok: 200, call: getRow("/api/v1/me")},
		{method: get_, path: "/api/v1/me/tokens", reach: reachSignedIn(everywhere), ok: 200, call: getRow("/api/v1/me/tokens")},
		{method: post, path: "/api/v1/me/tokens", reach: reachSignedIn(everywhere), ok: 201,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return matrixCall{path: "/api/v1/me/tokens", body: tokenBody("matrix")}
			}},
		{method: del, path: "/api/v1/me/tokens/:id", reach: reachSignedIn(ownOnly), objects: true, ok: 204,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				id := uuid.New()
				if k != noneObj {
					id = f.freshToken(t, f.userOf(p, k))
				}
				return matrixCall{path: "/api/v1/me/tokens/" + id.String()}
			}},

		// administration
		{method: post, path: "/api/v1/carriers", reach: reachAdminOnly, ok: 201,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, _ objKind) matrixCall {
				n := f.next()
				return matrixCall{path: "/api/v1/carriers", body: map[string]any{"name": fmt.Sprintf("Träger %d", n), "short_name": fmt.Sprintf("T%d", n)}}
			}},
		{method: get_, path: "/api/v1/carriers", reach: reachSignedIn(everywhere), ok: 200, call: getRow("/api/v1/carriers")},
		{method: get_, path: "/api/v1/users", reach: reachAdminOnly, ok: 200, call: getRow("/api/v1/users")},
		{method: post, path: "/api/v1/users", reach: reachAdminOnly, ok: 201,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, _ objKind) matrixCall {
				return matrixCall{path: "/api/v1/users", body: map[string]any{"email": fmt.Sprintf("new%d@x.test", f.next()), "name": "Neu", "password": testenv.Password}}
			}},
		{method: put, path: "/api/v1/users/:id/roles", reach: reachAdminOnly, objects: true, ok: 200,
			call: func(_ *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				// The body keeps the user's roles, so later rows find the matrixFixture unchanged.
				roles := []map[string]any{{"role": domain.RoleAdvisor, "carrier_id": f.c1}}
				switch {
				case k == ownObj && p.carrier == uuid.Nil && p.role != roleAnonymous:
					roles = []map[string]any{{"role": p.role, "carrier_id": nil}}
				case k == ownObj && p.role == domain.RoleCoordinator:
					roles = []map[string]any{{"role": p.role, "carrier_id": p.carrier}}
				case k == otherObj:
					roles = []map[string]any{{"role": domain.RoleAdvisor, "carrier_id": f.c2}}
				}
				return matrixCall{path: "/api/v1/users/" + f.userOf(p, k).String() + "/roles", body: map[string]any{"roles": roles}}
			}},
		{method: post, path: "/api/v1/users/:id/deactivate", reach: reachAdminOnly, objects: true, ok: 200, cloneForOwn: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/users/" + f.userTarget(t, p, k).String() + "/deactivate"}
			}},
		{method: post, path: "/api/v1/users/:id/reactivate", reach: reachAdminOnly, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/users/" + f.userTarget(t, p, k).String() + "/reactivate"}
			}},
		{method: get_, path: "/api/v1/carriers/:id/advisors", objects: true, ok: 200,
			reach: map[string]reach{domain.RoleCoordinator: carrierWide, domain.RoleAdmin: everywhere},
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/carriers/" + f.carrierOf(k).String() + "/advisors"}
			}},

		// cases and founders
		{method: post, path: "/api/v1/cases", reach: reachCounselling(carrierWide, carrierWide), objects: true, ok: 201,
			outside: http.StatusUnprocessableEntity, // the object is the carrier named in the body
			call: func(_ *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				body := map[string]any{"carrier_id": f.carrierOf(k),
					"founder": testenv.Founder("Neu", fmt.Sprintf("Gründerin%d", f.next()))}
				if p.role != domain.RoleAdvisor {
					body["lead_advisor_id"] = f.a1
				}
				return matrixCall{path: "/api/v1/cases", body: body}
			}},
		{method: get_, path: "/api/v1/cases", reach: readCases, ok: 200, call: getRow("/api/v1/cases?limit=200"),
			check: func(t *testing.T, f *matrixFixture, p *matrixCaller, r testenv.Response) {
				var l struct{ Items []domain.CaseSummary }
				r.JSON(t, &l)
				ids := []uuid.UUID{}
				for _, it := range l.Items {
					ids = append(ids, it.ID)
					if it.CarrierID != f.c1 || (p.role == domain.RoleAdvisor && it.LeadAdvisorID != f.a1) {
						t.Errorf("case %s (carrier %s, lead %s) is outside the scope of %s", it.ID, it.CarrierID, it.LeadAdvisorID, p.role)
					}
				}
				if !slices.Contains(ids, f.k1) || slices.Contains(ids, f.k3) || (p.role == domain.RoleCoordinator) != slices.Contains(ids, f.k2) {
					t.Errorf("%s lists %v; K1 %s K2 %s K3 %s", p.role, ids, f.k1, f.k2, f.k3)
				}
			}},
		{method: get_, path: "/api/v1/cases/:id", reach: readCases, objects: true, ok: 200, call: onSharedCase("")},
		{method: patch, path: "/api/v1/cases/:id", reach: readCases, objects: true, ok: 200,
			call: onFreshCase("", map[string]any{"business": map[string]any{"idea": "Neue Idee"}})},
		{method: post, path: "/api/v1/cases/:id/phase", reach: readCases, objects: true, ok: 200,
			call: onFreshCase("/phase", map[string]any{"phase": "consolidation"})},
		{method: post, path: "/api/v1/cases/:id/close", reach: readCases, objects: true, ok: 200,
			call: onFreshCase("/close", map[string]any{"reason": "abandoned"})},
		{method: post, path: "/api/v1/cases/:id/reopen", reach: readCases, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.closedCase(t, k)
				return matrixCall{path: "/api/v1/cases/" + id.String() + "/reopen", body: map[string]any{}, headers: ifMatchHeader(f.version(t, id))}
			}},
		{method: put, path: "/api/v1/cases/:id/advisors", reach: reachCounselling(never, carrierWide), objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				c := onFreshCase("/advisors", map[string]any{"lead_advisor_id": f.a2, "co_advisor_ids": []uuid.UUID{f.a1}})
				return c(t, f, p, k)
			}},
		{method: get_, path: "/api/v1/cases/:id/phases", reach: readCases, objects: true, ok: 200, call: onSharedCase("/phases")},
		{method: get_, path: "/api/v1/founders/:id", reach: readCases, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/founders/" + f.founderOf(t, f.sharedCase(k)).String()}
			}},
		{method: patch, path: "/api/v1/founders/:id", reach: readCases, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/api/v1/founders/" + f.founderOf(t, f.freshCase(t, k)).String(),
					body: map[string]any{"city": "Köln"}, headers: ifMatchHeader(`"1"`)}
			}},

		// pages
		{method: get_, path: "/", public: true, ok: 303, call: getRow("/")},
		{method: get_, path: "/static/*file", public: true, ok: 200, call: getRow("/static/lotse.css")},
		{method: get_, path: "/login", public: true, ok: 200, call: getRow("/login")},
		{method: post, path: "/login", public: true, ok: 303, session: true,
			call: func(_ *testing.T, _ *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				email := p.email
				if email == "" {
					email = "a2@c1.test"
				}
				return matrixCall{path: "/login", body: "email=" + email + "&password=" + testenv.Password,
					headers: []string{"Content-Type", "application/x-www-form-urlencoded"}}
			}},
		{method: post, path: "/logout", reach: reachSignedIn(everywhere), ok: 303, session: true, call: getRow("/logout")},
		{method: get_, path: "/cases", reach: readCases, ok: 200, call: getRow("/cases")},
	}
	entries := append(append(base, f.caseworkEntries()...), f.pageEntries()...)
	entries = append(append(entries, f.oversightEntries()...), f.statsEntries()...)
	entries = append(entries, f.sessionEntries()...)
	entries = append(entries, f.signinEntries()...)
	entries = append(entries, f.accountEntries()...)
	entries = append(entries, f.founderEntries()...)
	entries = append(entries, f.forms2Entries()...)
	return append(append(append(entries, f.consentEntries()...), f.auditEntries()...), f.privacyEntries()...)
}

func matrixRouteKey(method, path string) string { return method + " " + path }

func TestPermissionMatrix(t *testing.T) {
	f := newMatrixFixture(t)
	for _, e := range f.entries() {
		kinds := []objKind{noObj}
		if e.objects {
			kinds = objectKinds
		}
		t.Run(strings.ReplaceAll(matrixRouteKey(e.method, e.path), "/", "_"), func(t *testing.T) {
			for _, p := range f.principals {
				notFound := map[objKind]string{}
				for _, k := range kinds {
					want := e.want(p.role, k)
					t.Run(fmt.Sprintf("%s_%s_%d", p.role, k, want), func(t *testing.T) {
						cl := f.clientFor(t, e, p, k)
						caller := p
						if cl.id != p.id {
							caller = &matrixCaller{role: p.role, id: cl.id, carrier: p.carrier}
						}
						c := e.call(t, f, caller, k)
						r := cl.client.Do(e.method, c.path, c.body, c.headers...)
						if r.Status != want {
							t.Fatalf("%s %s: status %d, want %d: %.300s", e.method, c.path, r.Status, want, r.Body)
						}
						if want == http.StatusSeeOther && p.role == roleAnonymous && !e.public {
							if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
								t.Fatalf("redirect to %q, want /login", loc)
							}
						}
						if want == http.StatusNotFound && !e.page() {
							notFound[k] = string(r.Body)
						}
						if e.check != nil && r.Status == e.ok {
							e.check(t, f, p, r)
						}
					})
				}
				if a, b := notFound[otherObj], notFound[noneObj]; a != "" && b != "" && a != b {
					t.Errorf("%s: 404 for another carrier's object differs from 404 for none:\n%s\n%s", p.role, a, b)
				}
			}
		})
	}
}

type rowClient struct {
	client *testenv.Client
	id     uuid.UUID
}

// clientFor is the client a row runs with: the matrixCaller's, or a new session of the
// same account when the row ends or starts sessions, or a clone account when the row
// destroys the caller itself.
func (f *matrixFixture) clientFor(t *testing.T, e matrixEntry, p *matrixCaller, k objKind) rowClient {
	switch {
	case p.role == roleAnonymous:
		return rowClient{client: f.app.Anonymous(t)}
	case e.clone || (k == ownObj && e.cloneForOwn):
		id, email := f.freshUser(t, p.role, p.carrier)
		return rowClient{client: f.app.SignIn(t, email), id: id}
	case e.session:
		return rowClient{client: f.app.SignIn(t, p.email), id: p.id}
	}
	return rowClient{client: p.client, id: p.id}
}

// TestMatrixCoversEveryRoute fails when the route table and the matrix disagree: a new
// route must be added to the matrix with its expected answers.
func TestMatrixCoversEveryRoute(t *testing.T) {
	app := testenv.NewApp(t)
	f := &matrixFixture{app: app}
	inMatrix := map[string]bool{}
	for _, e := range f.entries() {
		k := matrixRouteKey(e.method, e.path)
		if inMatrix[k] {
			t.Errorf("the matrix lists %s twice", k)
		}
		inMatrix[k] = true
	}
	inTable := map[string]bool{}
	for _, r := range app.Server.Routes() {
		k := matrixRouteKey(r.Method, r.Path)
		inTable[k] = true
		if !inMatrix[k] {
			t.Errorf("route %s (%s) is missing from the permission matrix", k, r.Perm)
		}
	}
	for k := range inMatrix {
		if !inTable[k] {
			t.Errorf("the matrix lists %s, which is no route", k)
		}
	}
}

// ---- casework ----

// leadOf is the lead advisor of the fresh or shared case of kind k (A1, A2, B1).
func (f *matrixFixture) leadOf(k objKind) (lead, carrier uuid.UUID) {
	switch k {
	case sameObj:
		return f.a2, f.c1
	case otherObj:
		return f.b1, f.c2
	}
	return f.a1, f.c1
}

// casework creates an object of kind k with create (given its case and author) and
// returns its id; the author is the case's lead unless author is set.
func (f *matrixFixture) casework(t *testing.T, k objKind, author uuid.UUID, create func(ctx context.Context, a domain.Actor, caseID uuid.UUID) (uuid.UUID, error)) uuid.UUID {
	t.Helper()
	if k == noneObj {
		return uuid.New()
	}
	lead, carrier := f.leadOf(k)
	if author == uuid.Nil {
		author = lead
	}
	id, err := create(context.Background(), domain.Actor{UserID: author, System: true}, f.newCase(t, lead, carrier))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func consultationInput() domain.ConsultationInput {
	return domain.ConsultationInput{Date: domain.DayOf(time.Now()), DurationMinutes: 60, Mode: "in_person",
		Topics: []string{"business_plan"}, Languages: []string{}, Summary: "Businessplan besprochen"}
}

func inAWeek() string { return domain.DayOf(time.Now()).AddDate(0, 0, 7).Format(domain.DateLayout) }

// onSharedCasePost creates something in the long-lived case of kind k.
func onSharedCasePost(suffix string, body any) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
		return matrixCall{path: "/api/v1/cases/" + f.sharedCase(k).String() + suffix, body: body}
	}
}

func (f *matrixFixture) caseworkEntries() []matrixEntry {
	const get_, post, patch = http.MethodGet, http.MethodPost, http.MethodPatch
	readCases := reachCounselling(ownOnly, carrierWide)
	st := f.app.DB.Store
	return []matrixEntry{
		{method: get_, path: "/api/v1/catalog", reach: reachSignedIn(everywhere), ok: 200, call: getRow("/api/v1/catalog")},
		{method: post, path: "/api/v1/cases/:id/consultations", reach: readCases, objects: true, ok: 201,
			call: onSharedCasePost("/consultations", map[string]any{"date": domain.DayOf(time.Now()).Format(domain.DateLayout),
				"duration_minutes": 45, "mode": "phone", "topics": []string{"financing"}, "summary": "Finanzierung"})},
		{method: get_, path: "/api/v1/cases/:id/consultations", reach: readCases, objects: true, ok: 200, call: onSharedCase("/consultations")},
		{method: patch, path: "/api/v1/consultations/:id", reach: map[string]reach{domain.RoleAdvisor: ownOnly}, authorOnly: true, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.casework(t, k, uuid.Nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
					o, err := st.CreateConsultation(ctx, a, cs, consultationInput(), nil)
					return o.ID, err
				})
				return matrixCall{path: "/api/v1/consultations/" + id.String(), body: map[string]any{"summary": "ergänzt"}, headers: ifMatchHeader(`"1"`)}
			}},
		{method: post, path: "/api/v1/cases/:id/notes", reach: readCases, objects: true, ok: 201,
			call: onSharedCasePost("/notes", map[string]any{"body": "Vermerk", "confidential": false})},
		{method: get_, path: "/api/v1/cases/:id/notes", reach: readCases, objects: true, ok: 200, call: onSharedCase("/notes")},
		{method: patch, path: "/api/v1/notes/:id", reach: readCases, authorOnly: true, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				author := uuid.Nil // the case's lead
				if k == ownObj && p.id != uuid.Nil {
					author = p.id // own: written by the caller in a case of A1
				}
				id := f.casework(t, k, author, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
					o, err := st.CreateNote(ctx, a, cs, domain.NoteInput{Body: "Vermerk"}, nil)
					return o.ID, err
				})
				return matrixCall{path: "/api/v1/notes/" + id.String(), body: map[string]any{"body": "Vermerk, ergänzt"}, headers: ifMatchHeader(`"1"`)}
			}},
		{method: post, path: "/api/v1/cases/:id/milestones", reach: readCases, objects: true, ok: 201,
			call: onSharedCasePost("/milestones", map[string]any{"type": "business_plan_completed"})},
		{method: get_, path: "/api/v1/cases/:id/milestones", reach: readCases, objects: true, ok: 200, call: onSharedCase("/milestones")},
		{method: patch, path: "/api/v1/milestones/:id", reach: readCases, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.casework(t, k, uuid.Nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
					o, err := st.CreateMilestone(ctx, a, cs, domain.MilestoneInput{Type: "financing_secured"}, nil)
					return o.ID, err
				})
				return matrixCall{path: "/api/v1/milestones/" + id.String(), body: map[string]any{"note": "Mikrokredit"}, headers: ifMatchHeader(`"1"`)}
			}},
		{method: post, path: "/api/v1/cases/:id/follow-ups", reach: readCases, objects: true, ok: 201,
			call: onSharedCasePost("/follow-ups", map[string]any{"due_on": inAWeek(), "title": "Anrufen"})},
		{method: get_, path: "/api/v1/cases/:id/follow-ups", reach: readCases, objects: true, ok: 200, call: onSharedCase("/follow-ups")},
		{method: patch, path: "/api/v1/follow-ups/:id", reach: readCases, objects: true, ok: 200,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.casework(t, k, uuid.Nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
					due, _ := domain.ParseDate(inAWeek())
					o, err := st.CreateFollowUp(ctx, a, cs, domain.FollowUpInput{DueOn: due, Title: "Anrufen"}, nil)
					return o.ID, err
				})
				return matrixCall{path: "/api/v1/follow-ups/" + id.String(), body: map[string]any{"done": true}, headers: ifMatchHeader(`"1"`)}
			}},
		{method: get_, path: "/api/v1/cases/:id/timeline", reach: readCases, objects: true, ok: 200, call: onSharedCase("/timeline")},
		{method: get_, path: "/api/v1/agenda", reach: readCases, ok: 200, call: getRow("/api/v1/agenda")},
	}
}

// ---- pages ----

// form is a url-encoded page form post.
func form(path string, kv ...string) matrixCall {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[i]) + "=" + url.QueryEscape(kv[i+1]))
	}
	return matrixCall{path: path, body: b.String(), headers: []string{"Content-Type", "application/x-www-form-urlencoded"}}
}

// onFreshCaseForm posts a form to a fresh case of kind k, with its version.
func onFreshCaseForm(suffix string, kv ...string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
		id := f.freshCase(t, k)
		return form("/cases/"+id.String()+suffix, append(kv, "version", strings.Trim(f.version(t, id), `"`))...)
	}
}

// editForm posts an edit form of the case page (/cases/<case>/<list>/<id>, version 1) for
// an object made by create in a fresh case of kind k, written by author(p, k) or, when
// that is nil or gives no one, by the case's lead.
func editForm(list string, author func(p *matrixCaller, k objKind) uuid.UUID,
	create func(ctx context.Context, a domain.Actor, caseID uuid.UUID) (uuid.UUID, error), kv ...string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
	return func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
		caseID, id := uuid.New(), uuid.New()
		if k != noneObj {
			lead, carrier := f.leadOf(k)
			writer := lead
			if author != nil && author(p, k) != uuid.Nil {
				writer = author(p, k)
			}
			caseID = f.newCase(t, lead, carrier)
			var err error
			if id, err = create(context.Background(), domain.Actor{UserID: writer, System: true}, caseID); err != nil {
				t.Fatal(err)
			}
		}
		return form("/cases/"+caseID.String()+"/"+list+"/"+id.String(), append(kv, "version", "1")...)
	}
}

func (f *matrixFixture) pageEntries() []matrixEntry {
	const get_, post = http.MethodGet, http.MethodPost
	readCases := reachCounselling(ownOnly, carrierWide)
	st := f.app.DB.Store
	today := domain.DayOf(time.Now()).Format(domain.DateLayout)
	onSharedCaseForm := func(suffix string, kv ...string) func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
		return func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
			return form("/cases/"+f.sharedCase(k).String()+suffix, kv...)
		}
	}
	return []matrixEntry{
		{method: get_, path: "/cases/new", reach: reachCounselling(carrierWide, carrierWide), ok: 200, call: getRow("/cases/new")},
		{method: post, path: "/cases/new", reach: reachCounselling(carrierWide, carrierWide), ok: 303,
			call: func(_ *testing.T, f *matrixFixture, p *matrixCaller, _ objKind) matrixCall {
				// founder_choice: a new founder, whom earlier rows' founders resemble
				kv := []string{"founder.given_name", "Neu", "founder.family_name", fmt.Sprintf("Seite%d", f.next()), "founder_choice", "new"}
				if p.role == domain.RoleCoordinator {
					kv = append(kv, "lead_advisor_id", f.a1.String())
				}
				return form("/cases/new", kv...)
			}},
		{method: get_, path: "/cases/:id", reach: readCases, objects: true, ok: 200,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/cases/" + f.sharedCase(k).String()}
			}},
		{method: post, path: "/cases/:id/phase", reach: readCases, objects: true, ok: 303, call: onFreshCaseForm("/phase", "phase", "consolidation")},
		{method: post, path: "/cases/:id/close", reach: readCases, objects: true, ok: 303, call: onFreshCaseForm("/close", "reason", "abandoned")},
		{method: post, path: "/cases/:id/reopen", reach: readCases, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.closedCase(t, k)
				return form("/cases/"+id.String()+"/reopen", "version", strings.Trim(f.version(t, id), `"`))
			}},
		{method: post, path: "/cases/:id/business", reach: readCases, objects: true, ok: 303, call: onFreshCaseForm("/business", "business.idea", "Imbiss")},
		{method: post, path: "/cases/:id/advisors", reach: reachCounselling(never, carrierWide), objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return onFreshCaseForm("/advisors", "lead_advisor_id", f.a2.String(), "co_advisor_ids", f.a1.String())(t, f, p, k)
			}},
		{method: post, path: "/cases/:id/consultations", reach: readCases, objects: true, ok: 303,
			call: onSharedCaseForm("/consultations", "date", today, "duration_minutes", "60", "mode", "in_person", "topics", "financing", "summary", "Finanzierung")},
		{method: post, path: "/cases/:id/notes", reach: readCases, objects: true, ok: 303, call: onSharedCaseForm("/notes", "body", "Vermerk")},
		{method: post, path: "/cases/:id/milestones", reach: readCases, objects: true, ok: 303, call: onSharedCaseForm("/milestones", "type", "business_registered")},
		{method: post, path: "/cases/:id/follow-ups", reach: readCases, objects: true, ok: 303, call: onSharedCaseForm("/follow-ups", "due_on", inAWeek(), "title", "Anrufen")},
		{method: post, path: "/cases/:id/consultations/:cid", reach: map[string]reach{domain.RoleAdvisor: ownOnly}, authorOnly: true, objects: true, ok: 303,
			call: editForm("consultations", nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
				o, err := st.CreateConsultation(ctx, a, cs, consultationInput(), nil)
				return o.ID, err
			}, "date", today, "duration_minutes", "45", "mode", "phone", "topics", "financing", "summary", "ergänzt")},
		{method: post, path: "/cases/:id/notes/:nid", reach: readCases, authorOnly: true, objects: true, ok: 303,
			call: editForm("notes", func(p *matrixCaller, k objKind) uuid.UUID {
				if k == ownObj {
					return p.id // own: written by the caller in a case of A1
				}
				return uuid.Nil
			}, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
				o, err := st.CreateNote(ctx, a, cs, domain.NoteInput{Body: "Vermerk"}, nil)
				return o.ID, err
			}, "body", "Vermerk, ergänzt")},
		{method: post, path: "/cases/:id/milestones/:mid", reach: readCases, objects: true, ok: 303,
			call: editForm("milestones", nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
				o, err := st.CreateMilestone(ctx, a, cs, domain.MilestoneInput{Type: "financing_secured"}, nil)
				return o.ID, err
			}, "note", "Mikrokredit")},
		{method: post, path: "/follow-ups/:id/done", reach: readCases, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.casework(t, k, uuid.Nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
					due, _ := domain.ParseDate(inAWeek())
					o, err := st.CreateFollowUp(ctx, a, cs, domain.FollowUpInput{DueOn: due, Title: "Anrufen"}, nil)
					return o.ID, err
				})
				return form("/follow-ups/"+id.String()+"/done", "version", "1")
			}},
		{method: post, path: "/follow-ups/:id/open", reach: readCases, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, _ *matrixCaller, k objKind) matrixCall {
				id := f.casework(t, k, uuid.Nil, func(ctx context.Context, a domain.Actor, cs uuid.UUID) (uuid.UUID, error) {
					due, _ := domain.ParseDate(inAWeek())
					o, err := st.CreateFollowUp(ctx, a, cs, domain.FollowUpInput{DueOn: due, Title: "Anrufen"}, nil)
					if err != nil {
						return o.ID, err
					}
					done := true
					_, err = st.UpdateFollowUp(ctx, a, o.ID, o.Version, domain.FollowUpUpdate{Done: &done})
					return o.ID, err
				})
				return form("/follow-ups/"+id.String()+"/open", "version", "2")
			}},
		{method: get_, path: "/agenda", reach: readCases, ok: 200, call: getRow("/agenda")},
		{method: get_, path: "/account", reach: reachSignedIn(everywhere), ok: 200, call: getRow("/account")},
		{method: post, path: "/account/password", reach: reachSignedIn(everywhere), ok: 303, clone: true,
			call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
				return form("/account/password", "current_password", testenv.Password, "new_password", "Neues-Passwort-fuer-Lotse", "new_password_confirm", "Neues-Passwort-fuer-Lotse")
			}},
		{method: post, path: "/account/tokens", reach: reachSignedIn(everywhere), ok: 200, call: func(*testing.T, *matrixFixture, *matrixCaller, objKind) matrixCall {
			return form("/account/tokens", "name", "Skript", "password", testenv.Password)
		}},
		{method: post, path: "/account/tokens/:id/revoke", reach: reachSignedIn(ownOnly), objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				id := uuid.New()
				if k != noneObj {
					id = f.freshToken(t, f.userOf(p, k))
				}
				return form("/account/tokens/" + id.String() + "/revoke")
			}},
		{method: get_, path: "/admin/carriers", reach: reachAdminOnly, ok: 200, call: getRow("/admin/carriers")},
		{method: post, path: "/admin/carriers", reach: reachAdminOnly, ok: 303,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, _ objKind) matrixCall {
				n := f.next()
				return form("/admin/carriers", "name", fmt.Sprintf("Seitenträger %d", n), "short_name", fmt.Sprintf("S%d", n))
			}},
		{method: get_, path: "/admin/users", reach: reachAdminOnly, ok: 200, call: getRow("/admin/users")},
		{method: post, path: "/admin/users", reach: reachAdminOnly, ok: 303,
			call: func(_ *testing.T, f *matrixFixture, _ *matrixCaller, _ objKind) matrixCall {
				return form("/admin/users", "email", fmt.Sprintf("seite%d@x.test", f.next()), "name", "Neu", "password", testenv.Password,
					"role", domain.RoleAdvisor, "carrier_id", f.c1.String())
			}},
		{method: get_, path: "/admin/users/:id", reach: reachAdminOnly, objects: true, ok: 200,
			call: func(_ *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return matrixCall{path: "/admin/users/" + f.userOf(p, k).String()}
			}},
		{method: post, path: "/admin/users/:id/roles", reach: reachAdminOnly, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				// As in the API row: the form keeps the user's roles.
				role := domain.RoleAdvisor + ":" + f.c1.String()
				switch {
				case k == ownObj && p.carrier == uuid.Nil && p.role != roleAnonymous:
					role = p.role
				case k == ownObj && p.role == domain.RoleCoordinator:
					role = p.role + ":" + p.carrier.String()
				case k == otherObj:
					role = domain.RoleAdvisor + ":" + f.c2.String()
				}
				return form("/admin/users/"+f.userOf(p, k).String()+"/roles", "role", role)
			}},
		{method: post, path: "/admin/users/:id/deactivate", reach: reachAdminOnly, objects: true, ok: 303, cloneForOwn: true,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return form("/admin/users/" + f.userTarget(t, p, k).String() + "/deactivate")
			}},
		{method: post, path: "/admin/users/:id/reactivate", reach: reachAdminOnly, objects: true, ok: 303,
			call: func(t *testing.T, f *matrixFixture, p *matrixCaller, k objKind) matrixCall {
				return form("/admin/users/" + f.userTarget(t, p, k).String() + "/reactivate")
			}},
	}
}

// userTarget is the account a row about accounts acts on for kind k: the caller itself
// (a clone, for rows that would end it), a fresh advisor in C1 or C2, or none.
func (f *matrixFixture) userTarget(t *testing.T, p *matrixCaller, k objKind) uuid.UUID {
	id := uuid.New()
	switch k {
	case ownObj:
		id = p.id
	case sameObj:
		id, _ = f.freshUser(t, domain.RoleAdvisor, f.c1)
	case otherObj:
		id, _ = f.freshUser(t, domain.RoleAdvisor, f.c2)
	}
	if id == uuid.Nil {
		id = f.a1 // roleAnonymous "own": any user will do, the answer is 401
	}
	return id
}
