package testenv

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/iq-migrantenoekonomie/lotse/internal/authz"
	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/seed"
	"github.com/iq-migrantenoekonomie/lotse/internal/server"
	"github.com/iq-migrantenoekonomie/lotse/internal/store"
	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

func init() {
	// Request logs drown test output; LOTSE_TEST_LOGS=1 shows them.
	if os.Getenv("LOTSE_TEST_LOGS") == "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
}

// Password is the password of every account the fixtures create.
const Password = "Correct-Horse-Battery-9"

// App is a running Lotse on a fresh database: real router, real HTTP on loopback.
type App struct {
	DB     testdb.DB
	Authz  *authz.Authorizer
	Server *server.Server
	HTTP   *httptest.Server
	URL    string
}

// NewApp starts Lotse for one test; cfg may adjust the test configuration.
func NewApp(t testing.TB, cfg ...func(*server.Config)) *App {
	t.Helper()
	db := testdb.New(t)
	return StartApp(t, db, cfg...)
}

// StartApp starts another Lotse instance on an existing database (multi-instance tests).
func StartApp(t testing.TB, db testdb.DB, cfg ...func(*server.Config)) *App {
	t.Helper()
	az, err := authz.New(db.Store.DB)
	if err != nil {
		t.Fatalf("authz: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go az.Listen(ctx, db.URL, store.MembershipChannel, time.Minute)
	c := server.DefaultConfig()
	c.SecureCookies = false
	c.SessionCleanup = 0
	for _, f := range cfg {
		f(&c)
	}
	srv, err := server.New(c, db.Store, az)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		cancel()
		srv.Close()
	})
	return &App{DB: db, Authz: az, Server: srv, HTTP: hs, URL: hs.URL}
}

// Carrier creates a carrier and returns its id.
func (a *App) Carrier(t testing.TB, name string) uuid.UUID {
	t.Helper()
	cr, err := a.DB.Store.CreateCarrier(context.Background(), domain.Actor{System: true}, domain.CarrierInput{Name: name, ShortName: name}, nil)
	if err != nil {
		t.Fatalf("carrier %s: %v", name, err)
	}
	return cr.ID
}

// User creates an account with Password holding the given roles; carrier is uuid.Nil
// for global roles. The policy is reloaded so the roles count at once.
func (a *App) User(t testing.TB, email, role string, carrier uuid.UUID) uuid.UUID {
	t.Helper()
	m := domain.Membership{Role: role}
	if carrier != uuid.Nil {
		m.CarrierID = &carrier
	}
	id, err := seed.AddUser(context.Background(), a.DB.Store, domain.UserInput{Email: email, Name: strings.Split(email, "@")[0], Password: Password, Languages: []string{"de"}}, m)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	if err := a.Authz.Reload(); err != nil {
		t.Fatal(err)
	}
	if role == domain.RoleAdmin { // administrators must have a second factor
		a.EnrolSecondFactor(t, id)
	}
	return id
}

// TOTPSecret is the second-factor secret of every administrator the fixtures create.
const TOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// EnrolSecondFactor switches on the second factor of user (who has Password) with
// TOTPSecret, through the use case, and returns the recovery codes.
func (a *App) EnrolSecondFactor(t testing.TB, user uuid.UUID) []string {
	t.Helper()
	// The store's clock: some tests set it to another day, and codes follow it.
	code, err := totp.GenerateCode(TOTPSecret, a.DB.Store.Now())
	if err != nil {
		t.Fatal(err)
	}
	limits := store.LoginLimits{PerAccount: 5, PerAddress: 30, Window: time.Minute}
	codes, err := a.DB.Store.EnableSecondFactor(context.Background(), domain.Actor{UserID: user, RequestID: "fixture"},
		TOTPSecret, domain.SecondFactorInput{Password: Password, Code: code}, limits)
	if err != nil {
		t.Fatalf("second factor of %s: %v", user, err)
	}
	return codes
}

// OTP is a current code of email's second factor ("" for an account without one).
// Fixtures sign the same administrator in many times within one 30-second step, and
// each code works once, so the helper first forgets the step used last; that a used
// code is refused is tested in internal/server/signin_test.go.
func (a *App) OTP(t testing.TB, email string) string {
	t.Helper()
	var secret sql.NullString
	err := a.DB.Store.DB.Get(&secret, `UPDATE users SET totp_last_step = NULL WHERE lower(email) = lower($1) RETURNING totp_secret`, email)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !secret.Valid) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(secret.String, a.DB.Store.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// Client is an HTTP client with its own cookie jar, signed in or not.
type Client struct {
	t    testing.TB
	app  *App
	http *http.Client
	// Header is sent with every request (e.g. Authorization, Accept-Language).
	Header http.Header
}

// Anonymous returns a client that is not signed in.
func (a *App) Anonymous(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, app: a, Header: http.Header{},
		http: &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// SignIn returns a client signed in as email (with Password, and a code for an account
// with a second factor) through POST /api/v1/session.
func (a *App) SignIn(t testing.TB, email string) *Client {
	t.Helper()
	c := a.Anonymous(t)
	body := map[string]string{"email": email, "password": Password}
	if code := a.OTP(t, email); code != "" {
		body["otp"] = code
	}
	r := c.Do("POST", "/api/v1/session", body)
	if r.Status != http.StatusOK {
		t.Fatalf("sign in %s: %d %s", email, r.Status, r.Body)
	}
	return c
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decoding %d answer %q: %v", r.Status, r.Body, err)
	}
}

// Map decodes a JSON object body.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends a request; body is JSON-encoded unless it is a string or []byte (sent as is,
// as JSON). Extra headers come as "Name", "value" pairs.
func (c *Client) Do(method, path string, body any, headers ...string) Response {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		case []byte:
			rd = bytes.NewReader(b)
		default:
			buf, err := json.Marshal(b)
			if err != nil {
				c.t.Fatal(err)
			}
			rd = bytes.NewReader(buf)
		}
	}
	req, err := http.NewRequest(method, c.app.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Must sends a request and fails the test unless the answer has the wanted status.
func (c *Client) Must(want int, method, path string, body any, headers ...string) Response {
	c.t.Helper()
	r := c.Do(method, path, body, headers...)
	if r.Status != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Body)
	}
	return r
}

// Founder is a minimal valid new founder for intakes.
func Founder(given, family string) map[string]any {
	return map[string]any{"given_name": given, "family_name": family}
}

// NewCase takes in a founder through the API and returns the case id and its ETag.
func (c *Client) NewCase(body map[string]any) (id, etag string) {
	c.t.Helper()
	r := c.Must(http.StatusCreated, "POST", "/api/v1/cases", body)
	m := r.Map(c.t)
	return fmt.Sprint(m["id"]), r.Header.Get("ETag")
}
