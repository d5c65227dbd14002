package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Erasure is an Art. 17 GDPR request to erase a founder; the reason (e.g. "request by
// letter of 3 November") documents the act for the carrier's data-protection officer.
type Erasure struct {
	Reason string `json:"reason" validate:"required,max=500"`
}

// Normalise trims the reason.
func (e *Erasure) Normalise() { e.Reason = strings.TrimSpace(e.Reason) }

// The two outcomes of an erasure.
const (
	// ErasurePseudonymised: inside the retention period the founder's names, contact
	// data and free texts are removed and the founder's cases take no more changes.
	ErasurePseudonymised = "pseudonymised"
	// ErasureErased: after it, the founder and every case of theirs are deleted.
	ErasureErased = "erased"
)

// ErasureResult says what an erasure did.
type ErasureResult struct {
	Mode string `json:"mode"`
}

// FounderExport is everything Lotse holds on one founder (Art. 15 GDPR): one section per
// table that refers to the founder, in a fixed order, each with every row and column
// the founder's data has there — confidential notes and the trail of who read or
// changed the data included.
type FounderExport struct {
	FounderID  uuid.UUID       `json:"founder_id"`
	ExportedAt time.Time       `json:"exported_at"`
	Sections   []ExportSection `json:"sections"`
}

// ExportSection holds the rows of one table.
type ExportSection struct {
	Table string      `json:"table"`
	Rows  []ExportRow `json:"rows"`
}

// ExportRow is one row, its columns in the table's order (JSON objects keep no order in
// Go's maps; the printable page shows the columns as the database names them).
type ExportRow []ExportField

// ExportField is one column of a row; Value is its JSON value (null, string, number,
// boolean or array).
type ExportField struct {
	Column string
	Value  json.RawMessage
}

// MarshalJSON writes the row as one JSON object with its columns in order.
func (r ExportRow) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Column)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.Value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads one JSON object keeping the order of its keys.
func (r *ExportRow) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("export row: not a JSON object")
	}
	*r = (*r)[:0]
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*r = append(*r, ExportField{Column: key, Value: v})
	}
	return nil
}

// Section returns the section of table (empty when absent).
func (e *FounderExport) Section(table string) ExportSection {
	for _, s := range e.Sections {
		if s.Table == table {
			return s
		}
	}
	return ExportSection{Table: table}
}
