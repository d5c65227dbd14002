package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// summaryView is the data of the printable case summary (handover sheet).
type summaryView struct {
	domain.CaseFile
	// Entries are the timeline's entries without any confidential note: a handover
	// sheet is printed and handed on, and a confidential note is its author's alone —
	// the author's own ones stay out too.
	Entries []domain.TimelineItem
	// LeftOut counts the confidential notes left out (shown as a number only to their
	// author, who would otherwise wonder where they went).
	LeftOut int
	Printed string
	By      string
}

// Who is the name of a user the sheet mentions.
func (v summaryView) Who(id any) string { return caseView{CaseFile: v.CaseFile}.Who(id) }

// CaseSummary is GET /cases/{id}/summary: the case on one printable page for a
// handover — founder, business, advisors, phases, open follow-ups and the newest
// timeline entries without confidential notes; no navigation, no forms, no buttons.
// The same read as the case page (case:read, audited as case.read). ErrNotFound.
func (s *Pages) CaseSummary(c *gin.Context) error {
	httpx.SetLang(c)
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	f, err := s.Store.CaseFile(c.Request.Context(), httpx.Actor(c), id, "")
	if err != nil {
		return err
	}
	v := summaryView{CaseFile: f, Printed: formatTime(s.Store.Now())}
	for _, it := range f.Timeline {
		if it.Kind == "note" && it.Confidential != nil && *it.Confidential {
			v.LeftOut++
			continue
		}
		v.Entries = append(v.Entries, it)
	}
	if u, ok := httpx.CurrentUser(c); ok {
		if n, err := s.Store.User(c.Request.Context(), u); err == nil {
			v.By = n.Name
		}
	}
	c.Set(ctxPagePath, "/cases/"+id.String()+"/summary")
	c.Set(ctxBare, true)
	name := founderName(f.Case.Founder.GivenName+" "+f.Case.Founder.FamilyName, func() string { return s.T(c, "erasure.pseudonymised_name", nil) })
	return s.renderTitled(c, http.StatusOK, "case_summary", s.T(c, "forms2.summary_page_title", map[string]any{"Name": name}), v)
}
