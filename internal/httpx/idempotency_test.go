package httpx

import (
	"strings"
	"testing"
)

func TestFingerprintLeavesOutPasswords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"email":"a@x.de","password":"Geheim-Geheim-1"}`, `{"email":"a@x.de"}`},
		{`{"name":"t","current_password":"x","new_password":"y"}`, `{"name":"t"}`},
		{`{"name":"t"}`, `{"name":"t"}`},
		{`[1,2]`, `[1,2]`},
		{`not json`, `not json`},
	} {
		got := string(withoutSecrets([]byte(tc.in)))
		if got != tc.want || strings.Contains(got, "Geheim") {
			t.Errorf("%s → %s, want %s", tc.in, got, tc.want)
		}
	}
}
