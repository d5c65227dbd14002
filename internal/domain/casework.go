package domain

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Consultation is a Beratungsgespräch logged by its author (AdvisorID). Phase is the
// case's phase at Date, fixed when it is logged (and when its date is changed).
type Consultation struct {
	ID              uuid.UUID `json:"id" db:"id"`
	CaseID          uuid.UUID `json:"case_id" db:"case_id"`
	AdvisorID       uuid.UUID `json:"advisor_id" db:"advisor_id"`
	Date            Date      `json:"date" db:"date"`
	DurationMinutes int       `json:"duration_minutes" db:"duration_minutes"`
	PrepMinutes     *int      `json:"prep_minutes" db:"prep_minutes"`
	Mode            string    `json:"mode" db:"mode"`
	Topics          []string  `json:"topics" db:"-"`
	Languages       []string  `json:"languages" db:"-"`
	Interpreter     bool      `json:"interpreter" db:"interpreter"`
	Summary         string    `json:"summary" db:"summary"`
	NextSteps       *string   `json:"next_steps" db:"next_steps"`
	FollowUpOn      *Date     `json:"follow_up_on" db:"follow_up_on"`
	Phase           string    `json:"phase" db:"phase"`
	Version         int       `json:"version" db:"version"`
	CreatedAt       time.Time `json:"created_at" db:"created_at"`
	UpdatedAt       time.Time `json:"updated_at" db:"updated_at"`
}

// ConsultationInput logs or edits a consultation. FollowUpOn, when set, creates a
// follow-up for the case's lead advisor (or moves the open one the consultation made).
type ConsultationInput struct {
	Date            Date     `json:"date" validate:"required"`
	DurationMinutes int      `json:"duration_minutes" validate:"required,gte=1,lte=600"`
	PrepMinutes     *int     `json:"prep_minutes" validate:"omitempty,gte=0,lte=600"`
	Mode            string   `json:"mode" validate:"required,in=modes"`
	Topics          []string `json:"topics" validate:"required,min=1,max=17,unique,dive,in=topics"`
	Languages       []string `json:"languages" validate:"max=10,unique,dive,lang"`
	Interpreter     bool     `json:"interpreter"`
	Summary         string   `json:"summary" validate:"required,max=20000"`
	NextSteps       *string  `json:"next_steps" validate:"omitempty,max=5000"`
	FollowUpOn      *Date    `json:"follow_up_on"`
}

// Input returns the consultation's fields as an input, the starting point of an edit.
// Its pointers and lists are copies: decoding an edit into the input leaves k as it was.
func (k Consultation) Input() ConsultationInput {
	return ConsultationInput{Date: k.Date, DurationMinutes: k.DurationMinutes, PrepMinutes: clone(k.PrepMinutes),
		Mode: k.Mode, Topics: slices.Clone(k.Topics), Languages: slices.Clone(k.Languages), Interpreter: k.Interpreter,
		Summary: k.Summary, NextSteps: clone(k.NextSteps), FollowUpOn: clone(k.FollowUpOn)}
}

// Normalise trims the texts; next steps of blanks only are none.
func (in *ConsultationInput) Normalise() {
	in.Summary = strings.TrimSpace(in.Summary)
	in.NextSteps = trimOpt(in.NextSteps)
	if in.Topics == nil {
		in.Topics = []string{}
	}
	if in.Languages == nil {
		in.Languages = []string{}
	}
}

// Check applies the rules the validator tags cannot express: the date is not in the
// future, a follow-up is not set in the past.
func (in *ConsultationInput) Check(p *Problems, today Date) {
	if in.Date.After(today) {
		p.Add("date", "error.date_in_future")
	}
	if in.FollowUpOn != nil && today.After(*in.FollowUpOn) {
		p.Add("follow_up_on", "error.date_in_past")
	}
}

// FollowUpTitle is the title of the follow-up a consultation's follow_up_on creates:
// the first line of the next steps, else of the summary, cut to 80 characters. It is
// taken from the advisor's own words, so it needs no translation.
func (in ConsultationInput) FollowUpTitle() string {
	for _, s := range []*string{in.NextSteps, &in.Summary} {
		if s == nil {
			continue
		}
		line, _, _ := strings.Cut(strings.TrimSpace(*s), "\n")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if r := []rune(line); len(r) > 80 {
			line = strings.TrimSpace(string(r[:79])) + "…"
		}
		return line
	}
	return "Follow-up"
}

// Note is a case note (Vermerk). A confidential note is readable by its author alone.
type Note struct {
	ID           uuid.UUID `json:"id" db:"id"`
	CaseID       uuid.UUID `json:"case_id" db:"case_id"`
	AuthorID     uuid.UUID `json:"author_id" db:"author_id"`
	Body         string    `json:"body" db:"body"`
	Confidential bool      `json:"confidential" db:"confidential"`
	Version      int       `json:"version" db:"version"`
	CreatedAt    time.Time `json:"created_at" db:"created_at"`
	UpdatedAt    time.Time `json:"updated_at" db:"updated_at"`
}

// NoteRevision is an earlier text of an edited note: version is the note's version
// that had it.
type NoteRevision struct {
	NoteID       uuid.UUID `json:"note_id" db:"note_id"`
	Version      int       `json:"version" db:"version"`
	Body         string    `json:"body" db:"body"`
	Confidential bool      `json:"confidential" db:"confidential"`
	EditedAt     time.Time `json:"edited_at" db:"edited_at"`
}

// NoteInput writes or edits a note.
type NoteInput struct {
	Body         string `json:"body" validate:"required,max=20000"`
	Confidential bool   `json:"confidential"`
}

// Normalise trims the body, so blanks only count as empty.
func (in *NoteInput) Normalise() { in.Body = strings.TrimSpace(in.Body) }

// Milestone is a Meilenstein of a case; Type is one of Catalogue.MilestoneTypes.
type Milestone struct {
	ID         uuid.UUID  `json:"id" db:"id"`
	CaseID     uuid.UUID  `json:"case_id" db:"case_id"`
	Type       string     `json:"type" db:"type"`
	TargetOn   *Date      `json:"target_on" db:"target_on"`
	AchievedOn *Date      `json:"achieved_on" db:"achieved_on"`
	Note       *string    `json:"note" db:"note"`
	CreatedBy  *uuid.UUID `json:"created_by" db:"created_by"`
	Version    int        `json:"version" db:"version"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at" db:"updated_at"`
}

// MilestoneBusinessRegistered is the milestone whose achievement sets the case's
// business founded_on (when it is empty).
const MilestoneBusinessRegistered = "business_registered"

// MilestoneInput adds or edits a milestone.
type MilestoneInput struct {
	Type       string  `json:"type" validate:"required"`
	TargetOn   *Date   `json:"target_on"`
	AchievedOn *Date   `json:"achieved_on"`
	Note       *string `json:"note" validate:"omitempty,max=5000"`
}

// Input returns the milestone's fields as an input, the starting point of an edit.
// Its pointers are copies: decoding an edit into the input leaves m as it was.
func (m Milestone) Input() MilestoneInput {
	return MilestoneInput{Type: m.Type, TargetOn: clone(m.TargetOn), AchievedOn: clone(m.AchievedOn), Note: clone(m.Note)}
}

// Normalise trims the note; blanks only are none.
func (in *MilestoneInput) Normalise() { in.Note = trimOpt(in.Note) }

// Check: the type belongs to the catalogue (of any phase: a takeover founder may reach a
// founding milestone in the handover phase), and a milestone is not achieved in the future.
func (in *MilestoneInput) Check(p *Problems, today Date) {
	if in.Type != "" && MilestonePhase(in.Type) == "" {
		p.Add("type", "validation.in")
	}
	if in.AchievedOn != nil && in.AchievedOn.After(today) {
		p.Add("achieved_on", "error.date_in_future")
	}
}

// FollowUp is a Wiedervorlage: something the assignee must do by DueOn.
type FollowUp struct {
	ID             uuid.UUID  `json:"id" db:"id"`
	CaseID         uuid.UUID  `json:"case_id" db:"case_id"`
	ConsultationID *uuid.UUID `json:"consultation_id" db:"consultation_id"`
	DueOn          Date       `json:"due_on" db:"due_on"`
	Title          string     `json:"title" db:"title"`
	AssigneeID     uuid.UUID  `json:"assignee_id" db:"assignee_id"`
	CreatedBy      *uuid.UUID `json:"created_by" db:"created_by"`
	DoneAt         *time.Time `json:"done_at" db:"done_at"`
	Version        int        `json:"version" db:"version"`
	CreatedAt      time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at" db:"updated_at"`
}

// Overdue reports whether the follow-up is open and was due before today.
func (f FollowUp) Overdue(today Date) bool { return f.DoneAt == nil && today.After(f.DueOn) }

// FollowUpInput adds a follow-up. AssigneeID defaults to the case's lead advisor; it
// must be someone who may read the case: its lead, a co-advisor or a coordinator of
// its carrier.
type FollowUpInput struct {
	DueOn      Date       `json:"due_on" validate:"required"`
	Title      string     `json:"title" validate:"required,max=200"`
	AssigneeID *uuid.UUID `json:"assignee_id"`
}

// Normalise trims the title, so blanks only count as empty.
func (in *FollowUpInput) Normalise() { in.Title = strings.TrimSpace(in.Title) }

// Check: a new follow-up is not due in the past.
func (in *FollowUpInput) Check(p *Problems, today Date) {
	if !in.DueOn.IsZero() && today.After(in.DueOn) {
		p.Add("due_on", "error.date_in_past")
	}
}

// FollowUpUpdate marks a follow-up done (or open again), reschedules or renames it;
// fields left out stay as they are.
type FollowUpUpdate struct {
	Done  *bool   `json:"done"`
	DueOn *Date   `json:"due_on"`
	Title *string `json:"title" validate:"omitempty,max=200"`
	// Before is the due date the follow-up had; set by the store, never by the client.
	Before Date `json:"-"`
}

// Normalise trims a new title.
func (in *FollowUpUpdate) Normalise() {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		in.Title = &t
	}
}

// Check: a follow-up is not rescheduled into the past (an unchanged date, Before, may
// lie there by now), nor renamed to nothing.
func (in *FollowUpUpdate) Check(p *Problems, today Date) {
	if in.DueOn != nil && *in.DueOn != in.Before && today.After(*in.DueOn) {
		p.Add("due_on", "error.date_in_past")
	}
	if in.Title != nil && *in.Title == "" {
		p.Add("title", "validation.required")
	}
}

// AgendaItem is an open follow-up of the agenda with its case and founder.
type AgendaItem struct {
	FollowUp
	FounderName string `json:"founder_name" db:"founder_name"`
	CasePhase   string `json:"case_phase" db:"case_phase"`
}

// Agenda is a user's open follow-ups in cases that are not closed: the overdue ones
// (oldest first) and those due from today to AgendaDays days ahead (soonest first).
type Agenda struct {
	Today    Date         `json:"today"`
	Overdue  []AgendaItem `json:"overdue"`
	Upcoming []AgendaItem `json:"upcoming"`
}

// AgendaDays is how far ahead the agenda looks: today and the 14 days after it.
const AgendaDays = 14

// Timeline kinds.
const (
	TimelineConsultation = "consultation"
	TimelineNote         = "note"
	TimelineMilestone    = "milestone"
	TimelinePhase        = "phase"
	TimelineStatus       = "status"
	TimelineFollowUp     = "follow_up"
)

// TimelineItem is one event of a case's history. Kind, At, ID and ActorID are always
// set (ID is a UUID, or a number for phase and status changes); the other fields belong
// to one kind each and are left out of the JSON otherwise.
type TimelineItem struct {
	Kind    string     `json:"kind"`
	At      time.Time  `json:"at"`
	ID      string     `json:"id"`
	ActorID *uuid.UUID `json:"actor_id"`
	// consultation
	Date            *Date    `json:"date,omitempty"`
	DurationMinutes *int     `json:"duration_minutes,omitempty"`
	Mode            string   `json:"mode,omitempty"`
	Topics          []string `json:"topics,omitempty"`
	Summary         string   `json:"summary,omitempty"`
	NextSteps       *string  `json:"next_steps,omitempty"`
	Languages       []string `json:"languages,omitempty"`
	Interpreter     *bool    `json:"interpreter,omitempty"`
	Phase           string   `json:"phase,omitempty"`
	// note
	Body         string `json:"body,omitempty"`
	Confidential *bool  `json:"confidential,omitempty"`
	// milestone (Note also: a status change's closing note)
	Type       string  `json:"type,omitempty"`
	TargetOn   *Date   `json:"target_on,omitempty"`
	AchievedOn *Date   `json:"achieved_on,omitempty"`
	Note       *string `json:"note,omitempty"`
	// phase and status changes (From is left out for the phase a case opened in)
	From   *string `json:"from,omitempty"`
	To     string  `json:"to,omitempty"`
	Reason *string `json:"reason,omitempty"`
	// follow_up
	DueOn      *Date      `json:"due_on,omitempty"`
	Title      string     `json:"title,omitempty"`
	AssigneeID *uuid.UUID `json:"assignee_id,omitempty"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
}

// trimOpt trims an optional text; blanks only become none.
func trimOpt(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}

// TimelinePage is how many timeline entries the case page shows at once.
const TimelinePage = 50

// CaseRights are the actions of the case page a user may take on one case, each decided
// once for the case.
type CaseRights struct {
	Update, Assign, Casework, Note, ReadNotes bool
	// In a case that is not closed: edit one's own consultations and notes, milestones.
	EditConsultations, EditNotes, EditMilestones bool
	// Privacy: answer the founder's data-protection requests (Art. 15 export, erasure).
	Privacy bool
	// Audit: read who opened or changed the case (audit:read on its carrier).
	Audit bool
}

// CaseFile is everything the case page shows of a case, read at one moment.
type CaseFile struct {
	Case      Case
	Carrier   Carrier
	Phases    []PhaseTransition
	Can       CaseRights
	Advisors  []AdvisorLoad // for those who may assign: who may lead or co-advise
	Timeline  []TimelineItem
	Before    string     // the cursor this page of the timeline starts at ("" for the newest)
	Next      string     // the cursor of the older entries ("" when there are none)
	FollowUps []FollowUp // open ones, soonest first
	// By id, the objects behind this page's timeline entries: the user's own
	// consultations they may edit, every note shown, the milestones they may change.
	Consultations map[string]Consultation
	Notes         map[string]Note
	// NoteRevisions are the earlier texts of this page's edited notes, newest first;
	// a confidential earlier text only for the note's author.
	NoteRevisions map[string][]NoteRevision
	Milestones    map[string]Milestone
	Names         map[uuid.UUID]string
	// Consents are the founder's consents, for a viewer who may record them
	// (founder:consent); nil for everyone else.
	Consents *Consents
}

// clone copies an optional value, so an edit of the copy leaves the original alone.
func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
