package domain

import (
	"context"
	"runtime"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
)

// Argon2id parameters: explicit, about 19 MiB and two passes per hash (OWASP's minimum),
// and no more hashes at once than there are cores, so sign-in bursts cannot exhaust memory.
var (
	argonParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	hashSlots   = make(chan struct{}, runtime.NumCPU())
	// DummyHash is compared against when an account does not exist, so that sign-in
	// takes as long either way.
	DummyHash = func() string {
		h, err := argon2id.CreateHash("lotse-dummy-password", argonParams)
		if err != nil {
			panic(err)
		}
		return h
	}()
)

func withHashSlot[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	var zero T
	select {
	case hashSlots <- struct{}{}:
		defer func() { <-hashSlots }()
		return fn()
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// HashPassword checks the password policy and hashes with argon2id.
// ErrInvalid (field "password") when the password is too short, too long or common.
func HashPassword(ctx context.Context, password string) (string, error) {
	if err := CheckPasswordPolicy(password); err != nil {
		return "", err
	}
	return withHashSlot(ctx, func() (string, error) { return argon2id.CreateHash(password, argonParams) })
}

// CheckPassword compares a password with an argon2id hash.
func CheckPassword(ctx context.Context, password, hash string) (bool, error) {
	return withHashSlot(ctx, func() (bool, error) { return argon2id.ComparePasswordAndHash(password, hash) })
}

// CheckPasswordPolicy applies ASVS 2.1: 12 to 128 characters, not a common password.
func CheckPasswordPolicy(password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < 12:
		return Invalid("password", "error.password_too_short")
	case n > 128:
		return Invalid("password", "error.password_too_long")
	case commonPassword(password):
		return Invalid("password", "error.password_common")
	}
	return nil
}
