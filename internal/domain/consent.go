package domain

import (
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// The purposes a founder consents to (Catalogue.ConsentPurposes).
const (
	PurposeCounselling    = "counselling"
	PurposeESFReporting   = "esf_reporting"
	PurposeReferral       = "referral"
	PurposeFollowUpSurvey = "follow_up_survey"
)

// The states of a purpose: the latest act granted or withdrew it, or none was recorded.
const (
	ConsentGranted   = "granted"
	ConsentWithdrawn = "withdrawn"
	ConsentNone      = "none"
)

// Consent is one recorded act of a founder: a consent to a purpose granted, or withdrawn.
// Acts are never changed; the newest per purpose is the current state.
type Consent struct {
	ID          uuid.UUID  `json:"id" db:"id"`
	FounderID   uuid.UUID  `json:"founder_id" db:"founder_id"`
	Purpose     string     `json:"purpose" db:"purpose"`
	Granted     bool       `json:"granted" db:"granted"`
	At          time.Time  `json:"at" db:"at"`
	TextVersion string     `json:"text_version" db:"text_version"`
	Language    string     `json:"language" db:"language"`
	RecordedBy  *uuid.UUID `json:"recorded_by" db:"recorded_by"`
	// RecordedByName is the name of the person who recorded it (none for the
	// installation itself).
	RecordedByName *string `json:"recorded_by_name" db:"recorded_by_name"`
}

// ConsentInput records a consent or its withdrawal: withdrawing is the same input with
// granted false. Language is the language of the consent text the founder was shown
// (ISO 639-1, as for founders' languages); TextVersion names that text, e.g. "2026-01".
type ConsentInput struct {
	Purpose     string `json:"purpose" validate:"required,in=consent_purposes"`
	Granted     *bool  `json:"granted" validate:"required"` // nil (left out) is an error, never false
	TextVersion string `json:"text_version" validate:"required,max=40"`
	Language    string `json:"language" validate:"required,lang"`
}

// Normalise trims the text version and the language code, and writes the code in lower
// case as the catalogue does.
func (in *ConsentInput) Normalise() {
	in.TextVersion = strings.TrimSpace(in.TextVersion)
	in.Language = strings.ToLower(strings.TrimSpace(in.Language))
}

// Check: a text version is one line of printable characters (it is shown in lists).
func (in *ConsentInput) Check(p *Problems, _ Date) {
	if strings.ContainsFunc(in.TextVersion, unicode.IsControl) {
		p.Add("text_version", "validation.format")
	}
}

// Consents is a founder's consents: the current state per purpose (every purpose is a
// key; nil when nothing was recorded) and every act, newest first.
type Consents struct {
	Current map[string]*Consent `json:"current"`
	History []Consent           `json:"history"`
}

// NewConsents builds the current state from history, which is ordered newest first.
func NewConsents(history []Consent) Consents {
	cs := Consents{Current: map[string]*Consent{}, History: history}
	if cs.History == nil {
		cs.History = []Consent{}
	}
	for _, p := range Catalogue.ConsentPurposes {
		cs.Current[p] = nil
	}
	for i := range cs.History {
		if k := &cs.History[i]; cs.Current[k.Purpose] == nil {
			cs.Current[k.Purpose] = k
		}
	}
	return cs
}

// State is the current state of purpose: ConsentGranted, ConsentWithdrawn or ConsentNone.
func (cs Consents) State(purpose string) string {
	switch k := cs.Current[purpose]; {
	case k == nil:
		return ConsentNone
	case k.Granted:
		return ConsentGranted
	}
	return ConsentWithdrawn
}

// LanguageCodes lists the ISO 639-1 codes Lotse knows (founders' and consent texts'
// languages), in the catalogue's order.
func LanguageCodes() []string { return strings.Fields(iso6391) }
