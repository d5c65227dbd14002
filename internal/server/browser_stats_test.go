package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// download clicks the link sel and returns the bytes the browser saved.
func (b *browser) download(sel string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.Events(ctx, cdpbrowser.DownloadProgress)
	yes := true
	b.step("download "+sel,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes})
			return err
		}),
		chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	for ev, err := range progress {
		if err != nil {
			b.t.Fatalf("download %s: %v", sel, err)
		}
		if ev.State == cdpbrowser.DownloadProgressStateCanceled {
			b.t.Fatalf("download %s cancelled", sel)
		}
		if ev.State != cdpbrowser.DownloadProgressStateCompleted {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		if err != nil {
			b.t.Fatal(err)
		}
		return data
	}
	b.t.Fatalf("download %s did not complete", sel)
	return nil
}

// A programme manager starts on the statistics, changes the period and downloads the
// phase statistics as CSV and XLSX; the files open and carry the figures, German
// headings and the total rows.
func TestBrowserProgrammeManagerDownloadsStatistics(t *testing.T) {
	e := newStatsEnv(t)
	b := newBrowser(t, e.app)
	b.signIn("pm@x.de")
	b.open("/stats")
	b.wantText("h1", "Statistik")
	b.checkA11y("statistics")
	b.shot("stats-de")

	year := time.Now().Year()
	b.set("#s-period", "year")
	b.set("#s-from", strconv.Itoa(year)+"-01-01")
	b.set("#s-to", strconv.Itoa(year)+"-12-31")
	if st := b.submit("form.filters button[type=submit]"); st != 200 {
		t.Fatalf("status %d", st)
	}
	b.wantText("#funnel-h", "Phasentrichter")
	// Seven founders were taken in this year: every one entered founding.
	b.wantText("table.figures", "7")
	b.shot("stats-year")

	csvBytes := b.download(`a[href*="/api/v1/stats/phases"][href*="format=csv"]`)
	if !bytes.HasPrefix(csvBytes, []byte("\xef\xbb\xbf")) {
		t.Errorf("CSV has no BOM")
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBytes, []byte("\xef\xbb\xbf"))))
	rd.Comma = ';'
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if rows[0][0] != "Träger" || !strings.Contains(string(csvBytes), "Gesamt;"+strconv.Itoa(year)+";Gründung;7;7;7") {
		t.Errorf("CSV: %s", csvBytes)
	}

	xlsx := b.download(`a[href*="/api/v1/stats/phases"][href*="format=xlsx"]`)
	x, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("XLSX does not open: %v", err)
	}
	defer x.Close()
	sheet := x.GetSheetName(0)
	found := false
	xrows, _ := x.GetRows(sheet)
	for i, r := range xrows {
		if len(r) > 3 && r[0] == "Gesamt" && r[2] == "Gründung" {
			found = true
			cell, _ := excelize.CoordinatesToCellName(4, i+1)
			if typ, _ := x.GetCellType(sheet, cell); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
				t.Errorf("figure %s is text, not a number", cell)
			}
		}
	}
	if !found {
		t.Errorf("no total row in the XLSX: %v", xrows)
	}

	b.open("/stats?lang=en")
	b.wantText("h1", "Statistics")
	b.shot("stats-en")
}

// On a phone (390 px) the oversight and statistics pages reflow: the page never scrolls
// sideways (a wide table scrolls inside its own box).
func TestBrowserOversightPagesFitAPhone(t *testing.T) {
	e := newStatsEnv(t)
	for _, who := range []struct {
		email string
		paths []string
	}{
		{"pm@x.de", []string{"/stats", "/stats?lang=en"}},
		{"koord@x.de", []string{"/caseload", "/agenda/team", "/cases", "/stats"}},
	} {
		b := newBrowser(t, e.app)
		b.signIn(who.email)
		b.step("phone width", chromedp.EmulateViewport(390, 844))
		for _, p := range who.paths {
			b.open(p)
			if w := evalJS[int](b, `document.documentElement.scrollWidth`); w > 390 {
				b.shot("too-wide")
				t.Errorf("%s as %s is %d px wide on a 390 px phone", p, who.email, w)
			}
		}
		b.shot("phone")
	}
}
