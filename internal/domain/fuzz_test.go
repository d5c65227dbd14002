package domain

import (
	"errors"
	"testing"
)

// FuzzPasswordPolicy: any string either passes the policy or is refused with a field
// error on "password" — never a panic, never another error.
func FuzzPasswordPolicy(f *testing.F) {
	for _, seed := range []string{"", "kurz", "Passwort123456", "Correct-Horse-Battery-9", "ääääääääääää"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		err := CheckPasswordPolicy(pw)
		var e *Error
		if err != nil && (!errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "password") {
			t.Fatalf("refusal %v names no password field", err)
		}
	})
}
