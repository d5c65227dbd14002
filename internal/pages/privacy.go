package pages

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"golang.org/x/text/language"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/httpx"
)

// founderName is a founder's name as pages show it: after a pseudonymisation the name
// is gone, and the page says so instead of showing nothing.
func founderName(name string, pseudonymised func() string) string {
	if strings.TrimSpace(name) == "" {
		return pseudonymised()
	}
	return name
}

// exportView is the printable Art. 15 export: every section and row of the export, each
// value already in words (labels, names of languages and countries, Berlin times).
type exportView struct {
	FounderID  uuid.UUID
	Name       string
	ExportedAt string
	Sections   []exportSectionView
}

type exportSectionView struct {
	Table string
	Title string
	Rows  [][]exportCell
	// Compact sections (few columns, e.g. the audit trail) read better as one table
	// with a row per record than as a block per record.
	Compact bool
}

// compactColumns is the most columns a section may have to be shown as one table.
const compactColumns = 6

type exportCell struct{ Label, Value string }

// codeKinds names the catalogue of the columns that hold codes, for their labels.
var codeKinds = map[string]string{
	"gender": "gender", "german_level": "german_level", "education_isced": "education",
	"employment_status_at_entry": "employment", "referral_source": "referral_source",
	"disability": "yes_no", "foreign_background": "yes_no", "homeless": "yes_no",
	"phase": "phase", "from_phase": "phase", "to_phase": "phase", "status": "status",
	"from_status": "status", "to_status": "status", "closing_reason": "closing_reason",
	"mode": "mode", "topics": "topic", "type": "milestone", "business_sector": "sector",
	"business_legal_form": "legal_form", "purpose": "consent_purpose",
	"action": "audit_action", "object_type": "audit_object",
}

// FounderExport is GET /founders/{id}/export: the Art. 15 export as a page to print or
// save as PDF, in the page's language; the JSON is a link away.
func (s *Pages) FounderExport(c *gin.Context) error {
	httpx.SetLang(c)
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	exp, err := s.Store.ExportFounder(c.Request.Context(), httpx.Actor(c), id)
	if err != nil {
		return err
	}
	lang := language.German
	if httpx.Lang(c) == "en" {
		lang = language.English
	}
	t := func(id string) string { return s.T(c, id, nil) }
	v := exportView{FounderID: id, ExportedAt: formatTime(exp.ExportedAt)}
	for _, sec := range exp.Sections {
		sv := exportSectionView{Table: sec.Table, Title: t("art15.table." + sec.Table)}
		for _, row := range sec.Rows {
			cells := make([]exportCell, 0, len(row))
			for _, f := range row {
				cells = append(cells, exportCell{Label: t("art15.col." + f.Column), Value: exportValue(f, lang, t)})
			}
			sv.Rows = append(sv.Rows, cells)
			sv.Compact = len(cells) <= compactColumns
		}
		v.Sections = append(v.Sections, sv)
	}
	if rows := exp.Section("founders").Rows; len(rows) == 1 {
		var given, family string
		for _, f := range rows[0] {
			switch f.Column {
			case "given_name":
				_ = json.Unmarshal(f.Value, &given)
			case "family_name":
				_ = json.Unmarshal(f.Value, &family)
			}
		}
		v.Name = founderName(given+" "+family, func() string { return t("erasure.pseudonymised_name") })
	}
	c.Header("Cache-Control", "no-store")
	return s.renderTitled(c, http.StatusOK, "founder_export", v.Name, v)
}

// exportValue writes one exported value in words.
func exportValue(f domain.ExportField, lang language.Tag, t func(string) string) string {
	var v any
	if err := json.Unmarshal(f.Value, &v); err != nil || v == nil {
		return "—"
	}
	word := func(s string) string {
		switch {
		case f.Column == "languages" || f.Column == "language":
			if n := languageName(s, lang); n != "" {
				return n
			}
		case f.Column == "nationalities" || f.Column == "country_of_birth":
			if n := countryName(s, lang); n != "" {
				return n
			}
		case f.Column == "outcome":
			if s == "success" {
				return t("audit.outcome_success")
			}
			return t("audit.outcome_denied")
		case codeKinds[f.Column] != "":
			return t(codeKinds[f.Column] + "." + s)
		case f.Column == "at" || strings.HasSuffix(f.Column, "_at"):
			if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return formatTime(at)
			}
		}
		if d, err := domain.ParseDate(s); err == nil {
			return formatDate(d)
		}
		return s
	}
	switch x := v.(type) {
	case bool:
		if x {
			return t("yes_no.yes")
		}
		return t("yes_no.no")
	case string:
		if x == "" {
			return "—"
		}
		return word(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				parts = append(parts, word(s))
			}
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, ", ")
	}
	return strings.TrimSpace(string(f.Value))
}

// EraseFounder is POST /cases/{id}/erase: a coordinator answers an erasure request for
// the case's founder (the form names the founder); the store decides between
// pseudonymisation and deletion. After a deletion the case is gone too: the answer is
// the case list.
func (s *Pages) EraseFounder(c *gin.Context) error {
	id, err := httpx.PathID(c)
	if err != nil {
		return err
	}
	f := postedForm(c)
	founder, err := uuid.Parse(f.Get("founder_id"))
	if err != nil {
		return domain.NotFound()
	}
	res, err := s.Store.EraseFounder(c.Request.Context(), httpx.Actor(c), founder, domain.Erasure{Reason: f.Get("reason")})
	if err != nil {
		p, ok := s.formProblemOf(c, err)
		if !ok {
			return err
		}
		return s.renderCase(c, p.Status, id, "erase", f, p)
	}
	if res.Mode == domain.ErasureErased {
		return s.redirectFlash(c, "/cases", "flash.founder_erased")
	}
	return s.redirectFlash(c, "/cases/"+id.String()+"#privacy", "flash.founder_pseudonymised")
}
