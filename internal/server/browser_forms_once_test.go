package server_test

import (
	"context"
	"iter"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// An advisor clicks "log consultation" twice because the answer is slow: the browser
// sends the form twice, the server answers both with the same redirect, and the timeline
// shows one consultation. The test holds the server's first answer back from the browser
// (so the page is still there for the second click) and lets the second one through.
func TestBrowserDoubleClickLogsOneConsultation(t *testing.T) {
	app := testenv.NewApp(t)
	c1 := app.Carrier(t, "Gründungswerkstatt")
	app.User(t, "aylin@x.de", domain.RoleAdvisor, c1)
	id, _ := app.SignIn(t, "aylin@x.de").NewCase(map[string]any{"founder": testenv.Founder("Amina", "Yusuf")})

	b := newBrowser(t, app)
	b.signIn("aylin@x.de")
	b.open("/cases/" + id)
	b.click("#consultation summary")
	b.click("#topic-financing")
	const summary = "Mikrokredit geprüft, Unterlagen besprochen."
	b.fill("#k-summary", summary)
	b.shot("consultation-form")
	used := evalJS[string](b, `document.querySelector("#consultation input[name=form_token]")?.value ?? ""`)

	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	next, stop := iter.Pull2(chromedp.Events(ctx, fetch.RequestPaused))
	defer stop()
	answer := func(what string) fetch.EventRequestPaused {
		t.Helper()
		ev, err, ok := next()
		if err != nil || !ok {
			b.shot("failed")
			t.Fatalf("%s: no answer held (%v)", what, err)
		}
		if ev.Request.Method != http.MethodPost || ev.ResponseStatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %s answered %d, want the POST answered 303", what, ev.Request.Method, ev.ResponseStatusCode)
		}
		return ev
	}
	location := func(ev fetch.EventRequestPaused) string {
		for _, h := range ev.ResponseHeaders {
			if strings.EqualFold(h.Name, "Location") {
				return h.Value
			}
		}
		return ""
	}
	call := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		b.step(what, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error { return f(ctx) }))
	}
	call("hold the answers to the form", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
			{URLPattern: "*/cases/" + id + "/consultations", RequestStage: fetch.RequestStageResponse}}})
		return err
	})

	// The two halves of a double click on the button, as the mouse sends them (chromedp's
	// Click would wait for the page the first half started to load).
	at := evalJS[[]float64](b, `(() => { const el = document.querySelector("#consultation button[type=submit]");
		el.scrollIntoView({block: "center"}); const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	click := func(count int64) {
		t.Helper()
		call("click", func(ctx context.Context) error {
			for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
				if _, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{
					Type: typ, X: at[0], Y: at[1], Button: input.MouseButtonLeft, Buttons: 1, ClickCount: count}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	click(1)
	first := answer("first click")
	click(2) // the page is still there: its answer is held
	second := answer("second click")
	if location(first) == "" || location(second) != location(first) {
		t.Errorf("the two sendings lead to %q and %q, want the same place", location(first), location(second))
	}
	call("let the second answer through", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: second.RequestID})
		return err
	})
	b.step("wait for the case page", chromedp.WaitVisible(chromedp.CSS("p.notice")))
	call("stop holding answers", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, fetch.Disable, cdp.Empty{})
		return err
	})
	b.wantText("p.notice", "erfasst")
	b.wantText("#timeline", summary)
	b.shot("timeline-after-double-click")
	if n := strings.Count(b.text("#timeline"), summary); n != 1 {
		t.Errorf("the timeline shows the consultation %d times, want once", n)
	}
	if n := countRows(t, app, `SELECT count(*) FROM consultations WHERE case_id = $1`, id); n != 1 {
		t.Errorf("%d consultations stored, want 1", n)
	}

	// The same form, kept by the browser and edited, sent again (as a restored tab
	// would): refused with a message and the entries kept; sent once more (it now has a
	// new token) it is a deliberate second consultation.
	b.open("/cases/" + id)
	b.click("#consultation summary")
	b.click("#topic-financing")
	b.fill("#k-summary", "Zweites Gespräch zum Kredit.")
	b.set("#consultation input[name=form_token]", used)
	if st := b.submit("#consultation button[type=submit]"); st != http.StatusUnprocessableEntity {
		t.Fatalf("an edited form with a used token: status %d, want 422", st)
	}
	b.wantText("p.alert[role=alert]", "Dieses Formular wurde schon einmal gesendet")
	if got := value(b, "summary kept", chromedpValue("#k-summary")); got != "Zweites Gespräch zum Kredit." {
		t.Errorf("the entries were lost: %q", got)
	}
	b.checkA11y("form already sent")
	b.shot("form-already-sent")
	if st := b.submit("#consultation button[type=submit]"); st != http.StatusOK {
		t.Fatalf("sent once more: status %d", st)
	}
	b.wantText("#timeline", "Zweites Gespräch zum Kredit.")
	if n := countRows(t, app, `SELECT count(*) FROM consultations WHERE case_id = $1`, id); n != 2 {
		t.Errorf("%d consultations stored, want 2", n)
	}
}
