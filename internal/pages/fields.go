package pages

import (
	"strings"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// The fields of the intake form and of the case page's forms, in the order of the
// forms, with the ids their templates give them (the error summary links to them).

// intakeFields are the intake form's fields: the id is the field's last name part,
// but for the two whose templates say otherwise.
var intakeFields = func() []formField {
	names := []string{"founder.given_name", "founder.family_name", "founder.gender", "founder.birth_year",
		"founder.email", "founder.phone", "founder.postcode", "founder.city", "founder.languages",
		"founder.german_level", "founder.country_of_birth", "founder.nationalities", "founder.arrival_year",
		"founder.education_isced", "founder.employment_status_at_entry", "founder.referral_source",
		"founder.disability", "founder.foreign_background", "founder.homeless", "business.idea",
		"business.sector", "business.legal_form", "business.founded_on", "business.employees",
		"carrier_id", "phase", "lead_advisor_id"}
	ids := map[string]string{"founder.email": "founder_email", "founder.employment_status_at_entry": "employment"}
	out := make([]formField, 0, len(names))
	for _, n := range names {
		base := n[strings.LastIndexByte(n, '.')+1:]
		id := ids[n]
		if id == "" {
			id = base
		}
		out = append(out, formField{Name: n, ID: id, Label: "field." + strings.TrimSuffix(base, "_id")})
	}
	return out
}()

// fields lists "name id label" triples.
func fields(triples ...string) []formField {
	out := make([]formField, 0, len(triples))
	for _, t := range triples {
		f := strings.Fields(t)
		out = append(out, formField{Name: f[0], ID: f[1], Label: f[2]})
	}
	return out
}

// consultationFields are a consultation form's fields; prefix starts every id ("k-"
// for a new one, "ke-<id>-" for an edit).
func consultationFields(prefix, topicPrefix string) []formField {
	return fields(
		"date "+prefix+"date field.date",
		"duration_minutes "+prefix+"duration field.duration_minutes",
		"prep_minutes "+prefix+"prep field.prep_minutes",
		"mode "+prefix+"mode field.mode",
		"languages "+prefix+"languages field.languages_used",
		"topics "+topicPrefix+"topic-"+domain.Catalogue.Topics[0]+" field.topics",
		"interpreter "+prefix+"interpreter field.interpreter",
		"summary "+prefix+"summary field.summary",
		"next_steps "+prefix+"next field.next_steps",
		"follow_up_on "+prefix+"follow-up field.follow_up_on",
	)
}

// caseFields are the fields of the case page's form named form (edit forms are named
// "kind:id"); advisor is the first advisor of the assignment table.
func caseFields(form string, advisor string) []formField {
	kind, id, _ := strings.Cut(form, ":")
	if id != "" {
		switch kind {
		case "consultation":
			return consultationFields("ke-"+id+"-", "ke-"+id+"-")
		case "note":
			return fields("body ne-"+id+"-body field.note_body", "confidential ne-"+id+"-confidential field.confidential")
		case "milestone":
			return fields("target_on me-"+id+"-target field.target_on", "achieved_on me-"+id+"-achieved field.achieved_on",
				"note me-"+id+"-note field.note")
		}
		return nil
	}
	switch form {
	case "consultation":
		return consultationFields("k-", "")
	case "note":
		return fields("body note-body field.note_body", "confidential note-confidential field.confidential")
	case "milestone":
		return fields("type ms-type field.milestone", "target_on ms-target field.target_on",
			"achieved_on ms-achieved field.achieved_on", "note ms-note field.note")
	case "follow_up":
		return fields("title fu-title field.title", "due_on fu-due field.due_on")
	case "phase":
		return fields("phase new-phase case.new_phase", "reason phase-reason case.phase_reason")
	case "close":
		return fields("reason close-reason case.closing_reason", "note close-note case.closing_note")
	case "business":
		return fields("business.idea b-idea field.idea", "business.sector b-sector field.sector",
			"business.legal_form b-legal field.legal_form", "business.founded_on b-founded field.founded_on",
			"business.employees b-employees field.employees", "status b-status field.status")
	case "assign":
		if advisor == "" {
			return nil
		}
		return fields("lead_advisor_id lead-"+advisor+" field.lead_advisor", "co_advisor_ids co-"+advisor+" field.co_advisors")
	case "consent":
		return fields("purpose consent-purpose consent.purpose", "granted consent-granted consent.declaration",
			"text_version consent-text-version consent.text_version", "language consent-language consent.language_shown")
	case "erase":
		return fields("reason erase-reason erasure.reason")
	}
	return nil
}
