package domain

import (
	"errors"
	"strings"
)

// UserEdit is what an administrator changes of an account: name, e-mail and languages
// (roles, activity and the password have their own use cases).
type UserEdit struct {
	Name      string   `json:"name" validate:"required,max=200"`
	Email     string   `json:"email" validate:"required,email,max=254"`
	Languages []string `json:"languages" validate:"max=20,dive,lang"`
}

// Normalise trims name and e-mail, as UserInput does.
func (in *UserEdit) Normalise() {
	in.Email = strings.TrimSpace(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	if in.Languages == nil {
		in.Languages = []string{}
	}
}

// PasswordReset is a one-time password an administrator sets for an account; the
// person must change it at their next sign-in. The password policy applies to it.
type PasswordReset struct {
	Password string `json:"password" validate:"required"`
}

// Check applies the password policy.
func (in *PasswordReset) Check(p *Problems, _ Date) {
	if in.Password == "" {
		return
	}
	var e *Error
	if errors.As(CheckPasswordPolicy(in.Password), &e) {
		*p = append(*p, e.Fields...)
	}
}

// The orders of the account list.
const (
	UserSortName   = "name"   // by name (the default)
	UserSortEmail  = "email"  // by e-mail address
	UserSortStatus = "status" // active accounts first, each part by name
)

// UserSorts are the orders of the account list, the default first.
var UserSorts = []string{UserSortName, UserSortEmail, UserSortStatus}

// UserQuery selects a page of the account list: Q, a part of the name or e-mail
// address (case and accents do not matter); Sort, one of UserSorts ("" is by name);
// Limit, 1–200 (50 when 0); Cursor, "" or the next cursor of the page before.
type UserQuery struct {
	Q      string `form:"q" validate:"max=200"`
	Sort   string `form:"sort" validate:"omitempty,oneof=name email status"`
	Limit  int    `form:"limit" validate:"gte=0,lte=200"`
	Cursor string `form:"cursor" validate:"max=100"`
}

// Normalise trims the search and fills in the default order and page size.
func (q *UserQuery) Normalise() {
	q.Q = strings.TrimSpace(q.Q)
	if q.Sort == "" {
		q.Sort = UserSortName
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
}

// Gate is what a signed-in person must do before anything else is reachable: nothing
// (""), choose their own password after an administrator set one
// (GatePasswordChange), or set up the second factor their roles need
// (GateSecondFactor). The password comes first.
type Gate string

// The gates.
const (
	GateNone           Gate = ""
	GatePasswordChange Gate = "password_change"
	GateSecondFactor   Gate = "second_factor"
)
