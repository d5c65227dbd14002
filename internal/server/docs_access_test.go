package server_test

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
	"github.com/iq-migrantenoekonomie/lotse/policies"
)

// accessDoc is the operator documentation of the access rules; its route table must
// say what routes.go and policy.csv say, so the document cannot drift from the code.
const accessDoc = "../../docs/access.md"

// docRoleNames are the role names docs/access.md uses, by role of policy.csv.
var docRoleNames = map[string]string{
	domain.RoleAdvisor:          "advisor",
	domain.RoleCoordinator:      "coordinator",
	domain.RoleProgrammeManager: "programme manager",
	domain.RoleAdmin:            "administrator",
}

// docRouteRow is one row of the route table: | `GET` | `/path` | `perm` | roles |.
var docRouteRow = regexp.MustCompile("^\\| `([A-Z]+)` \\| `([^`]+)` \\| `([^`]+)` \\| (.+?) \\|$")

// TestDocsAccessListsEveryRoute reads the section "Route table" of docs/access.md and
// fails when a route of the route table is missing there or listed twice, when the doc
// lists a route that does not exist, when a permission differs from routes.go, or when
// the roles named for a permission are not exactly those policy.csv grants it (with
// their scope).
func TestDocsAccessListsEveryRoute(t *testing.T) {
	rows := readDocRouteTable(t)
	if len(rows) == 0 {
		t.Fatalf("%s: no route rows found under \"## Route table\"", accessDoc)
	}
	grants := policyGrants(t)
	app := testenv.NewApp(t)
	inTable := map[string]bool{}
	for _, r := range app.Server.Routes() {
		key := r.Method + " " + r.Path
		inTable[key] = true
		row, ok := rows[key]
		if !ok {
			t.Errorf("route %s (%s) is missing from the route table of %s", key, r.Perm, accessDoc)
			continue
		}
		if row.perm != string(r.Perm) {
			t.Errorf("%s: %s says permission %q, routes.go says %q", key, accessDoc, row.perm, r.Perm)
		}
		if want := docRoles(r.Perm, grants); row.roles != want {
			t.Errorf("%s (%s): %s says roles %q, policy.csv gives %q", key, r.Perm, accessDoc, row.roles, want)
		}
	}
	for key, row := range rows {
		if row.count > 1 {
			t.Errorf("%s lists %s %d times", accessDoc, key, row.count)
		}
		if !inTable[key] {
			t.Errorf("%s lists %s, which is no route of routes.go", accessDoc, key)
		}
	}
}

type docRoute struct {
	perm, roles string
	count       int
}

// readDocRouteTable collects the table rows between "## Route table" and the next
// second-level heading, by "METHOD /path".
func readDocRouteTable(t *testing.T) map[string]*docRoute {
	t.Helper()
	f, err := os.Open(accessDoc)
	if err != nil {
		t.Fatalf("open %s: %v", accessDoc, err)
	}
	defer f.Close()
	rows := map[string]*docRoute{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			in = line == "## Route table"
			continue
		}
		if !in {
			continue
		}
		m := docRouteRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		key := m[1] + " " + m[2]
		if r, ok := rows[key]; ok {
			r.count++
			continue
		}
		rows[key] = &docRoute{perm: m[3], roles: m[4], count: 1}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", accessDoc, err)
	}
	return rows
}

// policyGrants reads the embedded policy.csv: action → "role (scope)" in file order.
func policyGrants(t *testing.T) map[string][]string {
	t.Helper()
	grants := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(policies.Policy))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "p,") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 4 {
			t.Fatalf("policy.csv: unexpected line %q", line)
		}
		role, action, scope := strings.TrimSpace(f[1]), strings.TrimSpace(f[2]), strings.TrimSpace(f[3])
		name, ok := docRoleNames[role]
		if !ok {
			t.Fatalf("policy.csv: role %q has no name in docs/access.md", role)
		}
		grant := name + " (" + scope + ")"
		if !slices.Contains(grants[action], grant) {
			grants[action] = append(grants[action], grant)
		}
	}
	return grants
}

// docRoles is what the roles column must say for perm.
func docRoles(perm domain.Action, grants map[string][]string) string {
	switch perm {
	case "public":
		return "anyone"
	case "signed_in":
		return "any signed-in user"
	}
	if g := grants[string(perm)]; len(g) > 0 {
		return strings.Join(g, ", ")
	}
	return "nobody"
}
