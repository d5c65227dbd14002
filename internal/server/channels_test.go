package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// The same bad input gets the same verdict from every channel — the JSON API, the page
// forms and (where there is one) the command line — because each use case is written
// once, below them. The first rows are the drifts found before the use cases moved into
// the store: a blank reason for going back, an e-mail the API refuses, a blank title.
func TestOneVerdictPerInputOnEveryChannel(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Träger Eins")
	app.User(t, "lead@x.de", domain.RoleAdvisor, c1)
	app.User(t, "admin@x.de", domain.RoleAdmin, uuid.Nil)
	lead, admin := app.SignIn(t, "lead@x.de"), app.SignIn(t, "admin@x.de")
	account := "/users/" + app.User(t, "konto@x.de", domain.RoleAdvisor, c1).String()
	dayInFuture := domain.DayOf(time.Now()).AddDays(3).String()

	type verdict struct {
		refused bool
		field   string // the field the refusal names
	}
	for _, tt := range []struct {
		name string
		api  func(t *testing.T) testenv.Response
		page func(t *testing.T) testenv.Response
		cli  func(t *testing.T) error
		want verdict
	}{
		{
			name: "blank_reason_for_going_back_is_refused",
			api: func(t *testing.T) testenv.Response {
				id := consolidatedCase(t, lead)
				return lead.Do("POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "founding", "reason": "   "}, "If-Match", `"2"`)
			},
			page: func(t *testing.T) testenv.Response {
				id := consolidatedCase(t, lead)
				return postForm(lead, "/cases/"+id+"/phase", url.Values{"phase": {"founding"}, "reason": {"   "}, "version": {"2"}})
			},
			want: verdict{true, "reason"},
		},
		{
			name: "email_without_at_is_refused",
			api: func(t *testing.T) testenv.Response {
				return admin.Do("POST", "/api/v1/users", map[string]any{"email": "keine-adresse", "name": "N", "password": testenv.Password})
			},
			page: func(t *testing.T) testenv.Response {
				return postForm(admin, "/admin/users", url.Values{"email": {"keine-adresse"}, "name": {"N"}, "password": {testenv.Password}, "role": {"admin"}})
			},
			cli: func(t *testing.T) error {
				_, err := seed.AddUser(context.Background(), app.DB.Store, domain.UserInput{Email: "keine-adresse", Name: "N", Password: testenv.Password},
					domain.Membership{Role: domain.RoleAdmin})
				return err
			},
			want: verdict{true, "email"},
		},
		{
			name: "common_password_is_refused",
			api: func(t *testing.T) testenv.Response {
				return admin.Do("POST", "/api/v1/users", map[string]any{"email": "a@x.de", "name": "N", "password": "passwort1234"})
			},
			page: func(t *testing.T) testenv.Response {
				return postForm(admin, "/admin/users", url.Values{"email": {"a@x.de"}, "name": {"N"}, "password": {"passwort1234"}, "role": {"admin"}})
			},
			cli: func(t *testing.T) error {
				_, err := seed.AddUser(context.Background(), app.DB.Store, domain.UserInput{Email: "a@x.de", Name: "N", Password: "passwort1234"},
					domain.Membership{Role: domain.RoleAdmin})
				return err
			},
			want: verdict{true, "password"},
		},
		{
			name: "blank_follow_up_title_is_refused",
			api: func(t *testing.T) testenv.Response {
				id, _ := lead.NewCase(map[string]any{"founder": testenv.Founder("Titel", "Los")})
				return lead.Do("POST", "/api/v1/cases/"+id+"/follow-ups", map[string]any{"due_on": dayInFuture, "title": "  "})
			},
			page: func(t *testing.T) testenv.Response {
				id, _ := lead.NewCase(map[string]any{"founder": testenv.Founder("Titel", "Los")})
				return postForm(lead, "/cases/"+id+"/follow-ups", url.Values{"due_on": {dayInFuture}, "title": {"  "}})
			},
			want: verdict{true, "title"},
		},
		{
			name: "consultation_in_the_future_is_refused",
			api: func(t *testing.T) testenv.Response {
				id, _ := lead.NewCase(map[string]any{"founder": testenv.Founder("Zu", "Früh")})
				return lead.Do("POST", "/api/v1/cases/"+id+"/consultations", consultation(map[string]any{"date": dayInFuture}))
			},
			page: func(t *testing.T) testenv.Response {
				id, _ := lead.NewCase(map[string]any{"founder": testenv.Founder("Zu", "Früh")})
				return postForm(lead, "/cases/"+id+"/consultations", url.Values{"date": {dayInFuture}, "duration_minutes": {"60"},
					"mode": {"in_person"}, "topics": {"financing"}, "summary": {"Gespräch"}})
			},
			want: verdict{true, "date"},
		},
		{
			name: "common_one_time_password_is_refused",
			api: func(t *testing.T) testenv.Response {
				return admin.Do("POST", "/api/v1"+account+"/password", map[string]any{"password": "passwort1234"})
			},
			page: func(t *testing.T) testenv.Response {
				return postForm(admin, "/admin"+account+"/password", url.Values{"password": {"passwort1234"}})
			},
			want: verdict{true, "password"},
		},
		{
			name: "edited_email_without_at_is_refused",
			api: func(t *testing.T) testenv.Response {
				return admin.Do("PATCH", "/api/v1"+account, map[string]any{"email": "keine-adresse"}, "If-Match", `"1"`)
			},
			page: func(t *testing.T) testenv.Response {
				return postForm(admin, "/admin"+account, url.Values{"email": {"keine-adresse"}, "name": {"Konto"}, "version": {"1"}})
			},
			want: verdict{true, "email"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := tt.api(t)
			gotAPI := verdict{api.Status == http.StatusUnprocessableEntity, problemField(t, api, tt.want.field)}
			if gotAPI != tt.want {
				t.Errorf("API: status %d, body %.300s", api.Status, api.Body)
			}
			page := tt.page(t)
			// A refused form is shown again (422) with the message at the field.
			gotPage := verdict{page.Status == http.StatusUnprocessableEntity, pageField(page, tt.want.field)}
			if gotPage != tt.want {
				t.Errorf("page: status %d, body %.300s", page.Status, page.Body)
			}
			if tt.cli != nil {
				err := tt.cli(t)
				gotCLI := verdict{domain.ErrorCode(err) == domain.ErrInvalid, cliField(err, tt.want.field)}
				if gotCLI != tt.want {
					t.Errorf("command line: %v", err)
				}
			}
		})
	}
}

// consolidatedCase is a new case moved on to consolidation (version 2).
func consolidatedCase(t *testing.T, cl *testenv.Client) string {
	id, _ := cl.NewCase(map[string]any{"founder": testenv.Founder("Zurück", "Gehen")})
	cl.Must(http.StatusOK, "POST", "/api/v1/cases/"+id+"/phase", map[string]any{"phase": "consolidation"}, "If-Match", `"1"`)
	return id
}

func problemField(t *testing.T, r testenv.Response, field string) string {
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	r.JSON(t, &p)
	for _, e := range p.Errors {
		if e.Field == field {
			return field
		}
	}
	return ""
}

// pageField reports field when the page marks its input invalid.
func pageField(r testenv.Response, field string) string {
	re := regexp.MustCompile(`<(input|textarea|select)[^>]*name="` + regexp.QuoteMeta(field) + `"[^>]*aria-invalid="true"`)
	if re.Match(r.Body) {
		return field
	}
	return ""
}

func cliField(err error, field string) string {
	var e *domain.Error
	if errors.As(err, &e) {
		for _, f := range e.Fields {
			if f.Field == field {
				return field
			}
		}
	}
	return ""
}
