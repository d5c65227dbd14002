package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/export"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// auditView is the data of the audit trail page.
type auditView struct {
	// Values is the filter as asked, shown again as typed (also when it is invalid).
	Values  url.Values
	Problem formProblem
	Rows    []auditRow
	// Next links to the next page ("" on the last), built from the checked filter.
	Next    string
	Actors  []domain.AuditActor
	Actions []auditOption
	// Counselling and Security say which events the reader sees (the introduction).
	Counselling, Security bool
	// Case is set when the filter names a case the events show: the page then answers
	// "who opened or changed this case?" under the case's number, without the founder.
	Case *auditCase
}

// auditOption is one action of the action select, with its label.
type auditOption struct{ Code, Label string }

// auditCase is the case the filter names.
type auditCase struct {
	ID     uuid.UUID
	Number string
}

// auditRow is one event as the page shows it: translated labels, the names of the
// people, and the case it belongs to when the reader may open that.
type auditRow struct {
	domain.AuditEvent
	Time, ActionLabel, ActorLabel, ObjectLabel string
	// ObjectName names an account the event is about (a failed sign-in, a role change).
	ObjectName string
	// CaseNumber is set when the reader may open the event's case (a link to it).
	CaseNumber string
}

// Audit is GET /audit, "Protokoll": the audit trail the reader may see, newest first,
// filtered by object, person, action and period, 50 events a page. Coordinators see who
// opened or changed their carrier's cases (the case page links here with the case's id);
// administrators see the security events. An invalid filter shows the form again with
// the problem next to its field and reads nothing.
func (s *Pages) Audit(c *gin.Context) error {
	httpx.SetLang(c)
	ctx, actor := c.Request.Context(), httpx.Actor(c)
	v := auditView{Values: c.Request.URL.Query(),
		Counselling: !s.Store.Scope(actor, domain.ActAuditRead).Empty(),
		Security:    !s.Store.Scope(actor, domain.ActAuditSecurity).Empty()}
	for _, a := range domain.AuditActions {
		if security := domain.IsSecurityAction(a); security && v.Security || !security && v.Counselling {
			v.Actions = append(v.Actions, auditOption{a, s.auditLabel(c, "audit_action.", a)})
		}
	}
	var err error
	if v.Actors, err = s.Store.AuditActors(ctx, actor); err != nil {
		return err
	}
	c.Set(ctxPagePath, "/audit")
	f, err := httpx.AuditFilter(c)
	var events []domain.AuditEvent
	next := ""
	if err == nil {
		events, next, err = s.Store.AuditEvents(ctx, actor, f)
	}
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		v.Problem = p
		return s.render(c, p.Status, "audit", "audit.title", v)
	}
	if err := s.auditRows(c, &v, f, events); err != nil {
		return err
	}
	if next != "" {
		q := url.Values{"cursor": {next}}
		for _, k := range []string{"object_id", "actor_id", "action", "from", "to", "limit"} {
			if val := c.Query(k); val != "" {
				q.Set(k, val) // checked above: ids, days, a number, an action
			}
		}
		v.Next = "/audit?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "audit", "audit.title", v)
}

// auditRows lays out the events: labels in the page's language, the names of the
// accounts the events are about, and the numbers of the cases the reader may open.
func (s *Pages) auditRows(c *gin.Context, v *auditView, f domain.AuditFilter, events []domain.AuditEvent) error {
	ctx, actor := c.Request.Context(), httpx.Actor(c)
	cases := s.Store.Scope(actor, domain.ActCaseRead)
	var accounts, caseIDs []uuid.UUID
	mayOpen := func(e domain.AuditEvent) bool {
		return e.CaseID != nil && e.CarrierID != nil && cases.Allows(*e.CarrierID, false)
	}
	for _, e := range events {
		if e.ObjectID != nil && e.ObjectType != nil && *e.ObjectType == "user" {
			accounts = append(accounts, *e.ObjectID)
		}
		if mayOpen(e) && !slices.Contains(caseIDs, *e.CaseID) {
			caseIDs = append(caseIDs, *e.CaseID)
		}
	}
	if f.ActorID != nil && !slices.ContainsFunc(v.Actors, func(a domain.AuditActor) bool { return a.ID == *f.ActorID }) {
		accounts = append(accounts, *f.ActorID) // someone no longer among the staff: still named
	}
	names, err := s.Store.UserNames(ctx, accounts)
	if err != nil {
		return err
	}
	if f.ActorID != nil && names[*f.ActorID] != "" {
		v.Actors = append([]domain.AuditActor{{ID: *f.ActorID, Name: names[*f.ActorID]}}, v.Actors...)
	}
	numbers, err := export.CaseNumbers(ctx, s.Store.DB, caseIDs)
	if err != nil {
		return err
	}
	if f.ObjectID != nil && numbers[*f.ObjectID] != "" {
		v.Case = &auditCase{ID: *f.ObjectID, Number: numbers[*f.ObjectID]}
	}
	for _, e := range events {
		r := auditRow{AuditEvent: e, Time: e.At.In(domain.Berlin).Format("02.01.2006 15:04:05"),
			ActionLabel: s.auditLabel(c, "audit_action.", e.Action)}
		switch {
		case e.ActorName != nil:
			r.ActorLabel = *e.ActorName
		case strings.HasPrefix(e.Action, "auth.") || strings.HasPrefix(e.Action, "authz."):
			r.ActorLabel = s.T(c, "audit.not_signed_in", nil)
		default:
			r.ActorLabel = s.T(c, "audit.system", nil)
		}
		if e.ObjectType != nil {
			r.ObjectLabel = s.auditLabel(c, "audit_object.", *e.ObjectType)
			if *e.ObjectType == "user" && e.ObjectID != nil {
				r.ObjectName = names[*e.ObjectID]
			}
		}
		if mayOpen(e) {
			r.CaseNumber = numbers[*e.CaseID]
			if e.ObjectID != nil && *e.ObjectID == *e.CaseID {
				r.ObjectLabel = "" // the link says "Fall F-…" already
			}
		}
		v.Rows = append(v.Rows, r)
	}
	return nil
}

// auditLabel translates an action or object type (prefix + code); a code without a
// label (an action recorded before it had one) shows as itself.
func (s *Pages) auditLabel(c *gin.Context, prefix, code string) string {
	if l := s.T(c, prefix+code, nil); l != prefix+code {
		return l
	}
	return code
}
