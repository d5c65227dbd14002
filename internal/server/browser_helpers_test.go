package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/iq-migrantenoekonomie/lotse/internal/testenv"
)

// browser is a headless Debian chromium driven by chromedp against a running Lotse.
// Every step fails the test on error; screenshots go to test-output/screenshots/.
type browser struct {
	t   *testing.T
	ctx context.Context
	app *testenv.App
	n   int
}

// chromiumPath is $CHROMIUM or Debian's /usr/bin/chromium. A missing browser fails the
// test: the browser tests are part of `make test` and are never skipped.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		t.Fatalf("browser tests need chromium at %s (apt-get install chromium, or set CHROMIUM=/path): %v", p, err)
	}
	return p
}

// newBrowser starts a fresh chromium (own user-data-dir, offline flags) for app.
func newBrowser(t *testing.T, app *testenv.App) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		// German first, as the advisors use Lotse.
		chromedp.Flag("lang", "de-DE"),
		chromedp.Flag("accept-lang", "de-DE,de"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser now, with a clear error
		t.Fatalf("starting chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, app: app}
}

// step runs actions with a deadline, failing the test with what was being done.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action that returns a value.
func value[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.shot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads a path of the app and waits for its main landmark.
func (b *browser) open(path string) {
	b.t.Helper()
	b.step("open "+path, chromedp.Navigate(b.app.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
}

// submit clicks sel (a submit button or link) and waits for the next page; it returns
// the HTTP status of that page.
func (b *browser) submit(sel string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.shot("failed")
		b.t.Fatalf("click %s: %v", sel, err)
	}
	return responseStatus(res)
}

// press sends keys to the focused element and waits for the page they load.
func (b *browser) pressAndWait(keys string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(keys))
	if err != nil {
		b.shot("failed")
		b.t.Fatalf("press %q: %v", keys, err)
	}
	return responseStatus(res)
}

func responseStatus(res *network.Response) int64 {
	if res == nil {
		return 0
	}
	return res.Status
}

// fill types into the field sel after clearing it.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	b.set(sel, "")
	b.step("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), text))
}

// set sets the value of a select or date field directly (typing into a date field
// depends on the browser's locale).
func (b *browser) set(sel, v string) {
	b.t.Helper()
	ok := evalJS[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) return false; el.value = %q; el.dispatchEvent(new Event("change", {bubbles: true})); return el.value === %q; })()`, sel, v, v))
	if !ok {
		b.shot("failed")
		b.t.Fatalf("cannot set %s to %q", sel, v)
	}
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.step("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// text is the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return value(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// eval evaluates JavaScript in the page.
func evalJS[T any](b *browser, js string) T {
	b.t.Helper()
	return value(b, "evaluate "+js, chromedp.Evaluate[T](js))
}

// wantText fails unless the element sel shows want.
func (b *browser) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.shot("failed")
		b.t.Fatalf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// wantPageText fails unless the main content shows want (or, with absent, does not).
func (b *browser) wantPageText(want string, present bool) {
	b.t.Helper()
	got := b.text("main")
	if strings.Contains(got, want) != present {
		b.shot("failed")
		b.t.Fatalf("main content contains %q = %v, want %v:\n%s", want, !present, present, got)
	}
}

// signIn signs in through the login form and waits for the first page.
func (b *browser) signIn(email string) {
	b.t.Helper()
	b.open("/login")
	b.fill("#email", email)
	b.fill("#password", testenv.Password)
	if st := b.submit("form.stack button[type=submit]"); st != 200 {
		b.t.Fatalf("sign in %s: status %d", email, st)
	}
	if strings.HasSuffix(value(b, "location", chromedp.Location()), "/login/second-factor") {
		b.fill("#code", b.app.OTP(b.t, email)) // administrators: the code of their second factor
		if st := b.submit("form.stack button[type=submit]"); st != 200 {
			b.t.Fatalf("sign in %s, second factor: status %d", email, st)
		}
	}
	if strings.HasSuffix(value(b, "location", chromedp.Location()), "/login") {
		b.t.Fatalf("sign in %s failed: %s", email, b.text("main"))
	}
}

// signOut uses the sign-out button of the layout.
func (b *browser) signOut() {
	b.t.Helper()
	b.submit("header form[action='/logout'] button")
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// shot saves a full-page PNG under test-output/screenshots/ (at the repository root) and
// returns its path.
func (b *browser) shot(name string) string {
	b.n++
	dir := filepath.Join(repoRoot(b.t), "test-output", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Errorf("screenshot dir: %v", err)
		return ""
	}
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%02d-%s.png", unsafeName.ReplaceAllString(b.t.Name(), "_"), b.n, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Errorf("screenshot: %v", err)
	}
	return p
}

// repoRoot is the repository root (where go.mod is), seen from the test's directory.
func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatalf("no go.mod above %s", dir)
	return ""
}

// a11yScript reports accessibility problems of the page as a list of strings: visible
// form fields without a label (label[for], a wrapping label, aria-label or
// aria-labelledby), not exactly one h1, missing landmarks.
const a11yScript = `(() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && getComputedStyle(el).visibility !== "hidden";
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.hidden || !visible(el)) continue;
    const labelled = (el.id && document.querySelector("label[for='" + CSS.escape(el.id) + "']")) ||
      el.closest("label") || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!labelled) problems.push("field without label: " + (el.name || el.id || el.outerHTML.slice(0, 60)));
  }
  const h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) problems.push(h1 + " h1 elements");
  for (const lm of ["header", "main", "footer"]) {
    if (document.querySelectorAll(lm).length !== 1) problems.push("landmark " + lm + " missing or repeated");
  }
  if (document.querySelector("form[action='/logout']") && !document.querySelector("nav[aria-label]")) problems.push("no labelled nav");
  if (!document.documentElement.lang) problems.push("no lang on html");
  return problems;
})()`

// checkA11y checks the page's structure (labels, one h1, landmarks) and that keyboard
// focus is visible: after Tab, the focused element has an outline.
func (b *browser) checkA11y(page string) {
	b.t.Helper()
	problems := evalJS[[]string](b, a11yScript)
	for _, p := range problems {
		b.t.Errorf("%s: %s", page, p)
	}
	evalJS[bool](b, `(document.activeElement && document.activeElement.blur(), true)`)
	b.step("tab", chromedp.KeyEvent(kb.Tab))
	outline := evalJS[string](b, `(() => { const el = document.activeElement; if (!el || el === document.body) return "nothing focused"; const s = getComputedStyle(el); return s.outlineStyle + " " + s.outlineWidth; })()`)
	if strings.HasPrefix(outline, "none") || strings.HasSuffix(outline, " 0px") || outline == "nothing focused" {
		b.t.Errorf("%s: keyboard focus is not visible (%s)", page, outline)
	}
}

// tabTo presses Tab until the focused element matches the CSS selector sel.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for range 80 {
		if evalJS[bool](b, fmt.Sprintf(`document.activeElement && document.activeElement.matches(%q)`, sel)) {
			return
		}
		b.step("tab", chromedp.KeyEvent(kb.Tab))
	}
	b.shot("failed")
	b.t.Fatalf("Tab never reached %s", sel)
}

// key presses keys on the focused element (no page load expected).
func (b *browser) key(keys string) {
	b.t.Helper()
	b.step(fmt.Sprintf("key %q", keys), chromedp.KeyEvent(keys))
}
