package policies_test

import (
	"bufio"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
	"github.com/iq-migrantenoekonomie/lotse/policies"
)

// matrix is docs/access.md's matrix as role permissions: role → action → scope. An action
// missing for a role is denied. This table, not policy.csv, is the reviewed contract.
var matrix = map[string]map[string]string{
	domain.RoleAdvisor: {
		"case:create":       authz.ScopeOwn, // own carrier; becomes lead
		"case:read":         authz.ScopeOwn,
		"case:update":       authz.ScopeOwn,
		"casework:write":    authz.ScopeOwn, // consultations, milestones, follow-ups
		"consultation:edit": authz.ScopeOwn, // its author (checked by the handler)
		"note:write":        authz.ScopeOwn,
		"note:read":         authz.ScopeOwn, // except others' confidential notes
		"note:edit":         authz.ScopeOwn, // author only (checked by the handler)
		"caseload:read":     authz.ScopeSelf,
		"founder:consent":   authz.ScopeOwn,
	},
	domain.RoleCoordinator: {
		"case:create":      authz.ScopeCarrier, // names the lead
		"case:read":        authz.ScopeCarrier,
		"case:update":      authz.ScopeCarrier,
		"case:assign":      authz.ScopeCarrier,
		"casework:write":   authz.ScopeCarrier,
		"note:write":       authz.ScopeCarrier,
		"note:read":        authz.ScopeCarrier, // except others' confidential notes
		"note:edit":        authz.ScopeCarrier, // author only (checked by the handler)
		"caseload:read":    authz.ScopeCarrier,
		"carrier:advisors": authz.ScopeCarrier,
		"stats:read":       authz.ScopeCarrier,
		"founder:consent":  authz.ScopeCarrier,
		"founder:privacy":  authz.ScopeCarrier,
		"audit:read":       authz.ScopeCarrier,
		"audit:list":       authz.ScopeCarrier,
		"agenda:team":      authz.ScopeCarrier, // all open follow-ups of the carrier
	},
	domain.RoleProgrammeManager: {
		"stats:read": authz.ScopeAll,
	},
	domain.RoleAdmin: {
		"carrier:manage":   authz.ScopeAll,
		"user:manage":      authz.ScopeAll,
		"carrier:advisors": authz.ScopeAll,
		"audit:security":   authz.ScopeAll,
		"audit:list":       authz.ScopeAll,
	},
}

// actions is every action the matrix knows, plus one nobody holds.
// Every action the code names (domain.Actions, typed constants) must be granted to some
// role in policy.csv: a constant missing there would be refused everywhere.
func TestEveryActionIsInPolicy(t *testing.T) {
	for _, a := range domain.Actions {
		if !strings.Contains(policies.Policy, ", "+string(a)+", ") {
			t.Errorf("action %s is in domain.Actions but not in policy.csv", a)
		}
	}
}

func actions() []string {
	var out []string
	for _, perms := range matrix {
		for a := range perms {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	slices.Sort(out)
	return append(out, "case:delete")
}

// TestPolicyFileIsTheMatrix compares policy.csv line by line with the matrix, so a
// permission added to (or dropped from) the file without review fails here.
func TestPolicyFileIsTheMatrix(t *testing.T) {
	got := map[string]map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(policies.Policy))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if len(f) != 4 || f[0] != "p" {
			t.Fatalf("policy.csv: unexpected line %q", line)
		}
		role, act, scope := f[1], f[2], f[3]
		if got[role] == nil {
			got[role] = map[string]string{}
		}
		if prev, dup := got[role][act]; dup {
			t.Errorf("policy.csv: %s holds %s twice (%s, %s)", role, act, prev, scope)
		}
		got[role][act] = scope
	}
	for role, perms := range matrix {
		for act, scope := range perms {
			if got[role][act] != scope {
				t.Errorf("%s %s: policy.csv says %q, the matrix %q", role, act, got[role][act], scope)
			}
		}
	}
	for role, perms := range got {
		if !slices.Contains(domain.Catalogue.Roles, role) {
			t.Errorf("policy.csv: unknown role %q", role)
		}
		for act, scope := range perms {
			if _, ok := matrix[role][act]; !ok {
				t.Errorf("policy.csv grants %s %s (%s), which the matrix does not", role, act, scope)
			}
		}
	}
}

// TestMatrixThroughCasbin asks the real Casbin model, loaded with policy.csv and
// memberships from a database, for every role × action.
func TestMatrixThroughCasbin(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	system := domain.Actor{RequestID: "test", System: true}
	carrier := func(name string) uuid.UUID {
		cr, err := db.Store.CreateCarrier(ctx, system, domain.CarrierInput{Name: name, ShortName: name}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cr.ID
	}
	c1, c2 := carrier("C1"), carrier("C2")
	user := func(email string, ms ...domain.Membership) uuid.UUID {
		id, err := seed.AddUser(ctx, db.Store, domain.UserInput{Email: email, Name: email, Password: testenv.Password}, ms[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) > 1 {
			if _, err := db.Store.SetRoles(ctx, system, id, ms); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	in := func(role string, c uuid.UUID) domain.Membership { return domain.Membership{Role: role, CarrierID: &c} }
	holders := map[string]uuid.UUID{
		domain.RoleAdvisor:          user("advisor@x.de", in(domain.RoleAdvisor, c1)),
		domain.RoleCoordinator:      user("coordinator@x.de", in(domain.RoleCoordinator, c1)),
		domain.RoleProgrammeManager: user("pm@x.de", domain.Membership{Role: domain.RoleProgrammeManager}),
		domain.RoleAdmin:            user("admin@x.de", domain.Membership{Role: domain.RoleAdmin}),
	}
	both := user("both@x.de", in(domain.RoleAdvisor, c1), in(domain.RoleCoordinator, c2))
	nobody := user("nobody@x.de", in(domain.RoleAdvisor, c1))
	if _, err := db.Store.SetRoles(ctx, system, nobody, nil); err != nil {
		t.Fatal(err)
	}
	gone := user("gone@x.de", domain.Membership{Role: domain.RoleAdmin})
	if _, err := db.Store.Deactivate(ctx, system, gone); err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(db.Store.DB)
	if err != nil {
		t.Fatal(err)
	}

	for _, role := range domain.Catalogue.Roles {
		for _, act := range actions() {
			want := matrix[role][act]
			name := fmt.Sprintf("%s_%s_%s", role, strings.ReplaceAll(act, ":", "_"), orDenied(want))
			t.Run(name, func(t *testing.T) {
				got := az.Scope(holders[role], domain.Action(act))
				expect := orDenied(want)
				if want == authz.ScopeOwn || want == authz.ScopeSelf {
					expect = "own_or_self"
				}
				if d := describe(got, c1); d != expect {
					t.Fatalf("scope %+v (%s), want %s", got, d, expect)
				}
			})
		}
	}

	t.Run("two_carriers_each_through_its_role", func(t *testing.T) {
		s := az.Scope(both, "case:read")
		if !slices.Equal(s.Own, []uuid.UUID{c1}) || !slices.Equal(s.Carriers, []uuid.UUID{c2}) || s.All {
			t.Fatalf("scope %+v: want own in C1, carrier C2", s)
		}
		if s := az.Scope(both, "case:assign"); !slices.Equal(s.Carriers, []uuid.UUID{c2}) || len(s.Own) > 0 {
			t.Fatalf("case:assign %+v: want only C2", s)
		}
	})
	t.Run("user_without_roles_may_nothing", func(t *testing.T) {
		for _, act := range actions() {
			if s := az.Scope(nobody, domain.Action(act)); !s.Empty() {
				t.Errorf("%s: %+v", act, s)
			}
		}
	})
	t.Run("deactivated_user_may_nothing", func(t *testing.T) {
		if s := az.Scope(gone, "user:manage"); !s.Empty() {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("unknown_user_may_nothing", func(t *testing.T) {
		if s := az.Scope(uuid.New(), "case:read"); !s.Empty() {
			t.Fatalf("%+v", s)
		}
	})
	t.Run("role_change_counts_after_reload", func(t *testing.T) {
		adv := holders[domain.RoleAdvisor]
		if _, err := db.Store.SetRoles(ctx, system, adv, []domain.Membership{in(domain.RoleCoordinator, c1)}); err != nil {
			t.Fatal(err)
		}
		if s := az.Scope(adv, "case:assign"); !s.Empty() {
			t.Fatalf("changed before reload: %+v", s)
		}
		if err := az.Reload(); err != nil {
			t.Fatal(err)
		}
		if s := az.Scope(adv, "case:assign"); !slices.Equal(s.Carriers, []uuid.UUID{c1}) {
			t.Fatalf("after reload: %+v", s)
		}
	})
}

func orDenied(scope string) string {
	if scope == "" {
		return "denied"
	}
	return scope
}

// describe names a scope computed for a holder of one role in carrier c (or global).
// Scope folds "own" and "self" together; TestPolicyFileIsTheMatrix tells them apart.
func describe(s domain.Scope, c uuid.UUID) string {
	switch {
	case s.Empty():
		return "denied"
	case s.All && len(s.Carriers) == 0 && len(s.Own) == 0:
		return authz.ScopeAll
	case !s.All && slices.Equal(s.Carriers, []uuid.UUID{c}) && len(s.Own) == 0:
		return authz.ScopeCarrier
	case !s.All && len(s.Carriers) == 0 && slices.Equal(s.Own, []uuid.UUID{c}):
		return "own_or_self"
	}
	return fmt.Sprintf("unexpected %+v", s)
}
