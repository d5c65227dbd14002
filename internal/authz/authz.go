// Package authz decides, with Casbin, which actions a user may do and with which scope.
// Role permissions come from policies/ (embedded), memberships from the database; every
// instance reloads on a NOTIFY from a membership change and periodically as a safety net.
package authz

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/policies"
)

// Global is the Casbin domain of the roles held outside any carrier.
const Global = "*"

// Scope names of policy.csv, widest first.
const (
	ScopeAll     = "all"
	ScopeCarrier = "carrier"
	ScopeOwn     = "own"
	ScopeSelf    = "self"
)

// Authorizer holds the Casbin enforcer and the memberships it was loaded with.
type Authorizer struct {
	enforcer *casbin.SyncedEnforcer
	adapter  *adapter
}

// New loads the model, the role permissions and the memberships from db.
func New(db *sqlx.DB) (*Authorizer, error) {
	m, err := model.NewModelFromString(policies.Model)
	if err != nil {
		return nil, fmt.Errorf("casbin model: %w", err)
	}
	a := &adapter{db: db}
	e, err := casbin.NewSyncedEnforcer(m, a)
	if err != nil {
		return nil, fmt.Errorf("casbin: %w", err)
	}
	return &Authorizer{enforcer: e, adapter: a}, nil
}

// Reload reads the memberships again; the new policy replaces the old one at once.
func (az *Authorizer) Reload() error { return az.enforcer.LoadPolicy() }

// Scope computes where user may do action. A failing decision counts as a denial.
func (az *Authorizer) Scope(user uuid.UUID, action domain.Action) domain.Scope {
	s := domain.Scope{User: user}
	sub := user.String()
	for _, dom := range az.adapter.domainsOf(sub) {
		if dom == Global {
			s.All = az.allowed(sub, dom, action, ScopeAll)
			if s.All {
				return s
			}
			continue
		}
		carrier, err := uuid.Parse(dom)
		if err != nil {
			continue
		}
		switch {
		case az.allowed(sub, dom, action, ScopeCarrier):
			s.Carriers = append(s.Carriers, carrier)
		case az.allowed(sub, dom, action, ScopeOwn), az.allowed(sub, dom, action, ScopeSelf):
			s.Own = append(s.Own, carrier)
		}
	}
	return s
}

func (az *Authorizer) allowed(sub, dom string, action domain.Action, scope string) bool {
	ok, err := az.enforcer.Enforce(sub, dom, string(action), scope)
	if err != nil {
		slog.Error("authorization decision failed", "err", err, "action", string(action))
		return false
	}
	return ok
}

// Listen reloads the policy whenever a membership change is announced on channel, and
// after every reconnect (notifications sent meanwhile are lost), and every interval as a
// safety net. It returns when ctx ends.
func (az *Authorizer) Listen(ctx context.Context, databaseURL, channel string, interval time.Duration) {
	reload := func(why string) {
		if err := az.Reload(); err != nil {
			slog.Error("reloading access policy failed", "why", why, "err", err)
		}
	}
	l := pq.NewListener(databaseURL, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		if ev == pq.ListenerEventReconnected {
			reload("reconnected")
		}
		if err != nil {
			slog.Warn("policy listener", "event", ev, "err", err)
		}
	})
	defer l.Close()
	if err := l.Listen(channel); err != nil {
		slog.Error("policy listener: LISTEN failed; relying on periodic reload", "err", err)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			// A nil notification also means the connection was re-established.
			if n == nil {
				reload("reconnected")
			} else {
				reload("notified")
			}
		case <-ticker.C:
			reload("periodic")
		}
	}
}

// adapter is a load-only Casbin adapter: role permissions from the embedded policy.csv,
// role memberships ("g" lines) from the memberships table.
type adapter struct {
	db *sqlx.DB

	mu      sync.RWMutex
	domains map[string][]string // user id → domains (carrier ids or Global)
}

const selectMemberships = `
SELECT m.user_id, m.role, coalesce(m.carrier_id::text, '*') AS domain
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE u.active`

func (a *adapter) LoadPolicy(m model.Model) error {
	sc := bufio.NewScanner(strings.NewReader(policies.Policy))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := persist.LoadPolicyLine(line, m); err != nil {
			return fmt.Errorf("policy.csv: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := a.db.QueryContext(ctx, selectMemberships)
	if err != nil {
		return fmt.Errorf("loading memberships: %w", err)
	}
	defer rows.Close()
	domains := map[string][]string{}
	for rows.Next() {
		var user, role, dom string
		if err := rows.Scan(&user, &role, &dom); err != nil {
			return err
		}
		if err := persist.LoadPolicyArray([]string{"g", user, role, dom}, m); err != nil {
			return err
		}
		if !slices.Contains(domains[user], dom) {
			domains[user] = append(domains[user], dom)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	a.domains = domains
	a.mu.Unlock()
	return nil
}

func (a *adapter) domainsOf(user string) []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.domains[user]
}

var errReadOnly = errors.New("authz: policies are changed in policy.csv and the memberships table, not through Casbin")

func (a *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (a *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (a *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
