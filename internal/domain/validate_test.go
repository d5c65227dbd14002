package domain

import (
	"strings"
	"testing"
)

// TestLimitsSayTheirUnit: an over-long text is refused with its limit in characters, a
// list with too many entries with its limit in entries.
func TestLimitsSayTheirUnit(t *testing.T) {
	in := struct {
		Text string   `json:"text" validate:"max=10"`
		List []string `json:"list" validate:"max=2"`
	}{Text: strings.Repeat("x", 11), List: []string{"a", "b", "c"}}
	got := map[string]FieldError{}
	for _, f := range Tags(&in, "") {
		got[f.Field] = f
	}
	if f := got["text"]; f.Message != "validation.max_chars" || f.Param != "10" {
		t.Errorf("text: %+v", f)
	}
	if f := got["list"]; f.Message != "validation.max_items" || f.Param != "2" {
		t.Errorf("list: %+v", f)
	}
}
