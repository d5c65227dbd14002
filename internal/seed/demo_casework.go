package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
)

// Demo casework: months of consultations, notes, milestones and follow-ups for the demo
// cases, written through the store like an advisor would (only the cases' opening dates
// are moved back in SQL, since an intake always opens today). Deterministic: a fixed
// random seed, every date relative to today.

// topicsByPhase are the topics advisors typically talk about in each phase.
var topicsByPhase = map[string][]string{
	domain.PhaseFounding: {"business_idea", "business_plan", "financing", "funding_programmes", "legal_form",
		"registration_permits", "residence_law", "recognition_qualifications", "insurance_social_security"},
	domain.PhaseConsolidation: {"tax_accounting", "marketing_sales", "digitalisation", "premises_location",
		"staff_hiring", "liquidity_crisis", "financing", "insurance_social_security"},
	domain.PhaseHandover: {"succession", "financing", "legal_form", "tax_accounting", "premises_location", "staff_hiring"},
}

// topicText is a line of a consultation summary per topic (the demo is German, like its users).
var topicText = map[string]string{
	"business_idea":              "Geschäftsidee geschärft: Zielgruppe und Angebot genauer beschrieben.",
	"business_plan":              "Businessplan gemeinsam durchgesehen; Umsatzplanung für drei Jahre ergänzt.",
	"financing":                  "Finanzierungsbedarf besprochen, Gespräch mit der Hausbank vorbereitet.",
	"funding_programmes":         "Förderprogramme geprüft (Gründungszuschuss, Mikrokredit).",
	"legal_form":                 "Rechtsformen verglichen; Haftung und Kosten erklärt.",
	"registration_permits":       "Gewerbeanmeldung und nötige Genehmigungen durchgesprochen.",
	"residence_law":              "Aufenthaltsrechtliche Fragen zur Selbständigkeit geklärt (§ 21 AufenthG).",
	"recognition_qualifications": "Anerkennung des ausländischen Berufsabschlusses angestoßen.",
	"tax_accounting":             "Buchhaltung und Umsatzsteuer-Voranmeldung erklärt; Steuerberatung empfohlen.",
	"insurance_social_security":  "Kranken- und Rentenversicherung für Selbständige besprochen.",
	"marketing_sales":            "Marketing geplant: Website, Social Media, Flyer im Stadtteil.",
	"digitalisation":             "Kassensystem und Online-Terminbuchung besprochen.",
	"premises_location":          "Mögliche Räume und Mietvertrag durchgesehen.",
	"staff_hiring":               "Erste Einstellung geplant: Minijob oder Teilzeit, Lohnkosten berechnet.",
	"liquidity_crisis":           "Liquiditätsengpass analysiert; Stundung beim Finanzamt vorbereitet.",
	"succession":                 "Übergabefahrplan besprochen; Unterlagen für die Bewertung gesammelt.",
	"other":                      "Allgemeine Fragen geklärt.",
}

var nextStepTexts = []string{
	"Unterlagen bis zum nächsten Termin zusammenstellen",
	"Termin bei der Hausbank vereinbaren",
	"Angebot der Steuerberatung einholen",
	"Entwurf des Businessplans schicken",
	"Rückmeldung der Ausländerbehörde abwarten",
	"Mietvertrag prüfen lassen",
}

// demoMilestones per phase: achieved ones (days after opening) and one still planned.
var demoMilestones = map[string][]struct {
	typ      string
	achieved int // days after the case opened; 0: not yet, with a target date instead
}{
	domain.PhaseFounding:      {{"business_plan_completed", 60}, {"financing_secured", 0}},
	domain.PhaseConsolidation: {{"business_registered", 20}, {"first_employee_hired", 0}},
	domain.PhaseHandover:      {{"succession_need_identified", 15}, {"business_valued", 0}},
}

// demoCasework fills the demo cases with casework.
func demoCasework(ctx context.Context, st *store.Store, users map[string]uuid.UUID) error {
	rng := rand.New(rand.NewPCG(2026, 3))
	today := st.Today()
	cases, _, err := st.Cases(ctx, domain.Actor{RequestID: "seed", System: true}, domain.CaseFilter{Limit: 200})
	if err != nil {
		return err
	}
	byName := map[string]uuid.UUID{}
	for _, c := range cases {
		byName[c.FounderName] = c.ID
	}
	for i, f := range demoFounders {
		caseID, ok := byName[f.given+" "+f.family]
		if !ok {
			return fmt.Errorf("demo case of %s %s not found", f.given, f.family)
		}
		lead := domain.Actor{UserID: users[f.advisor], RequestID: "seed", System: true}
		opened := today.AddDays(-(120 + rng.IntN(120)))
		if err := backdateOpening(ctx, st, caseID, opened); err != nil {
			return err
		}
		if err := demoCaseHistory(ctx, st, rng, i, f, caseID, lead, opened, today, users); err != nil {
			return fmt.Errorf("demo casework of %s %s: %w", f.given, f.family, err)
		}
	}
	return nil
}

// backdateOpening moves an intake's opening day (and its first phase row) into the past.
func backdateOpening(ctx context.Context, st *store.Store, caseID uuid.UUID, opened domain.Date) error {
	if _, err := st.DB.ExecContext(ctx, `UPDATE cases SET opened_on = $2 WHERE id = $1`, caseID, opened); err != nil {
		return err
	}
	_, err := st.DB.ExecContext(ctx, `UPDATE phase_transitions SET at = ($2::date + time '09:00') AT TIME ZONE 'Europe/Berlin'
WHERE case_id = $1 AND from_phase IS NULL`, caseID, opened)
	return err
}

func demoCaseHistory(ctx context.Context, st *store.Store, rng *rand.Rand, n int, f demoFounder, caseID uuid.UUID,
	lead domain.Actor, opened, today domain.Date, users map[string]uuid.UUID) error {
	// The first case gets a co-advisor (who must not see its confidential note); the
	// fifth has just moved from founding to consolidation.
	if n == 0 {
		c, err := st.ReadCase(ctx, lead, caseID)
		if err != nil {
			return err
		}
		coord := domain.Actor{UserID: users["koordination@lotse.example"], RequestID: "seed", System: true}
		if _, err := st.AssignAdvisors(ctx, coord, caseID, c.Version, domain.AdvisorAssignment{
			LeadAdvisorID: lead.UserID, CoAdvisorIDs: []uuid.UUID{users["beraterin2@lotse.example"]}}); err != nil {
			return err
		}
	}
	phase := f.phase
	if n == 4 {
		c, err := st.ReadCase(ctx, lead, caseID)
		if err != nil {
			return err
		}
		if _, err := st.ChangePhase(ctx, lead, caseID, c.Version, domain.PhaseChange{Phase: domain.PhaseConsolidation}); err != nil {
			return err
		}
	}

	// Consultations every two to five weeks from the opening day until recently.
	// Each act is written as of its day (the store's clock), so the date rules hold as
	// they did then: a follow-up overdue now lay ahead when it was set.
	asOf := func(day domain.Date) *store.Store {
		then := *st
		then.Now = func() time.Time { return time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, domain.Berlin) }
		return &then
	}
	var last domain.ConsultationInput
	for day := opened; !day.After(today.AddDays(-3)); day = day.AddDays(14 + rng.IntN(22)) {
		last = demoConsultation(rng, f, phase, day)
		if _, err := asOf(day).CreateConsultation(ctx, lead, caseID, last, nil); err != nil {
			return err
		}
	}
	// The latest one sets the next appointment: some already overdue, most upcoming.
	due := today.AddDays(-8 + rng.IntN(22))
	day := today.AddDays(-rng.IntN(3))
	if due.Before(day) {
		day = due.AddDays(-7)
	}
	last = demoConsultation(rng, f, phase, day)
	last.FollowUpOn = &due
	if _, err := asOf(day).CreateConsultation(ctx, lead, caseID, last, nil); err != nil {
		return err
	}
	due = today.AddDays(-4 + rng.IntN(30))
	if _, err := asOf(earlier(due, today)).CreateFollowUp(ctx, lead, caseID, domain.FollowUpInput{
		DueOn: due, Title: nextStepTexts[rng.IntN(len(nextStepTexts))]}, nil); err != nil {
		return err
	}

	for _, m := range demoMilestones[f.phase] {
		in := domain.MilestoneInput{Type: m.typ}
		if m.achieved > 0 {
			d := opened.AddDays(m.achieved)
			in.AchievedOn = &d
		} else {
			d := today.AddDays(30 + rng.IntN(90))
			in.TargetOn = &d
		}
		if _, err := st.CreateMilestone(ctx, lead, caseID, in, nil); err != nil {
			return err
		}
	}

	notes := []domain.NoteInput{{Body: "Sehr motiviert, bringt Erfahrung aus dem Herkunftsland mit. Nächster Schritt: Zahlen konkretisieren."}}
	if n == 0 {
		notes = append(notes, domain.NoteInput{Confidential: true,
			Body: "Vertraulich: Die Gründerin hat von familiärer Belastung erzählt; Termine möglichst vormittags legen."})
	}
	if n%3 == 1 {
		notes = append(notes, domain.NoteInput{Body: "Mit der Kammer telefoniert, Ansprechperson für den Fall notiert."})
	}
	for _, in := range notes {
		if _, err := st.CreateNote(ctx, lead, caseID, in, nil); err != nil {
			return err
		}
	}
	return nil
}

// demoConsultation is one plausible consultation of a case in phase on day.
func demoConsultation(rng *rand.Rand, f demoFounder, phase string, day domain.Date) domain.ConsultationInput {
	pool := topicsByPhase[phase]
	topics := []string{pool[rng.IntN(len(pool))]}
	if t := pool[rng.IntN(len(pool))]; rng.IntN(2) == 0 && !slices.Contains(topics, t) {
		topics = append(topics, t)
	}
	summary := ""
	for _, t := range topics {
		summary += topicText[t] + "\n"
	}
	modes := []string{"in_person", "in_person", "in_person", "phone", "phone", "video", "email", "outreach"}
	mode := modes[rng.IntN(len(modes))]
	duration := []int{30, 45, 60, 60, 90, 120}[rng.IntN(6)]
	if mode == "email" {
		duration = 15
	}
	languages := []string{f.languages[0]}
	if f.languages[0] != "de" && rng.IntN(2) == 0 {
		languages = append(languages, "de")
	}
	prep := []int{0, 10, 15, 30}[rng.IntN(4)]
	in := domain.ConsultationInput{Date: day, DurationMinutes: duration, PrepMinutes: &prep, Mode: mode,
		Topics: topics, Languages: languages, Interpreter: rng.IntN(6) == 0, Summary: summary}
	if rng.IntN(3) > 0 {
		s := nextStepTexts[rng.IntN(len(nextStepTexts))]
		in.NextSteps = &s
	}
	return in
}

func earlier(a, b domain.Date) domain.Date {
	if a.Before(b) {
		return a
	}
	return b
}
