package domain_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// RFC 6238, appendix B: the SHA-1 test vectors (secret "12345678901234567890"), cut to
// the six digits apps show.
func TestTOTPStepFollowsRFC6238(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of 12345678901234567890
	for _, tc := range []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	} {
		now := time.Unix(tc.unix, 0)
		step, ok := domain.TOTPStep(secret, tc.code, now, 0)
		if !ok || step != tc.unix/30 {
			t.Errorf("T=%d: code %s gives step %d, %v", tc.unix, tc.code, step, ok)
		}
		if _, ok := domain.TOTPStep(secret, tc.code, now, tc.unix/30); ok {
			t.Errorf("T=%d: a used step was accepted again", tc.unix)
		}
		if _, ok := domain.TOTPStep(secret, tc.code, now.Add(2*time.Minute), 0); ok {
			t.Errorf("T=%d: a code two minutes old was accepted", tc.unix)
		}
	}
	if _, ok := domain.TOTPStep(secret, "287 082", time.Unix(59+30, 0), 0); !ok {
		t.Error("a code typed with a blank, one step late, was refused")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes := domain.NewRecoveryCodes()
	if len(codes) != domain.RecoveryCodeCount || len(slices.Compact(slices.Sorted(slices.Values(codes)))) != len(codes) {
		t.Fatalf("%v", codes)
	}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || domain.IsTOTPCode(domain.NormaliseCode(c)) {
			t.Fatalf("code %q", c)
		}
	}
	c := codes[0]
	typed := strings.ToUpper(strings.ReplaceAll(c, "-", " "))
	if string(domain.RecoveryCodeHash(typed)) != string(domain.RecoveryCodeHash(c)) {
		t.Error("the same code typed in capitals with a blank hashes differently")
	}
	if string(domain.RecoveryCodeHash("abcde-0ilo1")) != string(domain.RecoveryCodeHash("abcde-01101")) {
		t.Error("letters read as digits (o, i, l) are not taken as those digits")
	}
}
