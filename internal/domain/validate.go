package domain

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
)

// The validator is shared by every channel (API, pages, command line, seeds, jobs), so an
// input is judged the same wherever it comes from.
var validate = newValidator()

// normaliser is an input that tidies itself before it is checked (trimming blanks).
type normaliser interface{ Normalise() }

// checker is an input with rules beyond its validator tags; today is the Berlin day of
// the request, so date rules are testable at midnight.
type checker interface {
	Check(p *Problems, today Date)
}

// Validate normalises in, checks its validator tags and then its own rules, and reports
// every problem at once: nil or an ErrInvalid error naming each field.
func Validate(in any, today Date) error {
	if n, ok := in.(normaliser); ok {
		n.Normalise()
	}
	p := Tags(in, "")
	if c, ok := in.(checker); ok {
		c.Check(&p, today)
	}
	return p.Err()
}

// Edit changes an object under the lock of the transaction that writes it: it gets the
// current values and returns the new ones (the API merges a partial body into them, a
// page form replaces them). Its ErrInvalid field problems are reported with the input's.
type Edit[T any] func(current T) (T, error)

// Tags checks v's validator tags; prefix goes before every field name ("founder.").
func Tags(v any, prefix string) Problems {
	err := validate.Struct(v)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		if err != nil {
			return Problems{{Field: prefix, Message: "validation.type"}}
		}
		return nil
	}
	var p Problems
	for _, fe := range verrs {
		ns := fe.Namespace()
		if i := strings.Index(ns, "."); i >= 0 {
			ns = ns[i+1:]
		}
		msg := "validation." + fe.Tag()
		// A limit on a text is in characters, on a list in entries: the message says so.
		if fe.Tag() == "max" && fe.Kind() == reflect.String {
			msg = "validation.max_chars"
		} else if fe.Tag() == "max" && (fe.Kind() == reflect.Slice || fe.Kind() == reflect.Array) {
			msg = "validation.max_items"
		}
		p = append(p, FieldError{Field: prefix + ns, Message: msg, Param: fe.Param()})
	}
	return p
}

// newValidator registers the JSON (or form) field names and Lotse's own tags:
// in=<catalogue list>, lang (ISO 639-1), country (ISO 3166-1 alpha-2).
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "form"} {
			name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
			if name != "" && name != "-" {
				return name
			}
		}
		return f.Name
	})
	lists := map[string][]string{
		"phases": Catalogue.Phases, "statuses": Catalogue.Statuses,
		"closing_reasons": Catalogue.ClosingReasons, "topics": Catalogue.Topics,
		"modes": Catalogue.Modes, "referral_sources": Catalogue.ReferralSources,
		"genders": Catalogue.Genders, "german_levels": Catalogue.GermanLevels,
		"education_levels": Catalogue.EducationLevels, "employment": Catalogue.Employment,
		"yes_no": Catalogue.YesNo, "legal_forms": Catalogue.LegalForms,
		"sectors": Catalogue.Sectors, "roles": Catalogue.Roles,
		"consent_purposes": Catalogue.ConsentPurposes,
	}
	must(v.RegisterValidation("in", func(fl validator.FieldLevel) bool {
		list, ok := lists[fl.Param()]
		if !ok {
			panic("validator: unknown catalogue list " + fl.Param())
		}
		val := fl.Field().String()
		for _, x := range list {
			if x == val {
				return true
			}
		}
		return false
	}))
	must(v.RegisterValidation("lang", func(fl validator.FieldLevel) bool { return ValidLanguage(fl.Field().String()) }))
	v.RegisterAlias("country", "iso3166_1_alpha2")
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
