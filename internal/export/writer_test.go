package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

func day(s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// write makes a table in format f and returns its bytes.
func write(t *testing.T, f Format, cols []Column, opts Options, rows ...[]Cell) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, f, cols, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.Row(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestCSVIsWhatGermanExcelReads(t *testing.T) {
	text := []Column{{Key: "a", Label: "A"}}
	tests := []struct {
		name string
		cols []Column
		opts Options
		row  []Cell
		want string // the data line, without CRLF
	}{
		{"text as it is", text, Options{}, []Cell{"Beratung"}, "Beratung"},
		{"umlauts stay UTF-8", text, Options{}, []Cell{"Träger Süd"}, "Träger Süd"},
		{"empty text unquoted", text, Options{}, []Cell{""}, ""},
		{"nil is an empty field", []Column{{Key: "a"}, {Key: "b", Kind: Int}}, Options{}, []Cell{nil, nil}, ";"},
		{"suppressed is a dot", []Column{{Key: "n", Kind: Int}, {Key: "s"}}, Options{}, []Cell{Suppressed, Suppressed}, ".;."},
		{"integer", []Column{{Key: "n", Kind: Int}}, Options{}, []Cell{int64(-1234567)}, "-1234567"},
		{"decimal comma", []Column{{Key: "d", Kind: Decimal}}, Options{}, []Cell{12.5}, "12,5"},
		{"negative decimal", []Column{{Key: "d", Kind: Decimal}}, Options{}, []Cell{-0.25}, "-0,25"},
		{"whole decimal without comma", []Column{{Key: "d", Kind: Decimal}}, Options{}, []Cell{3.0}, "3"},
		{"integer in a decimal column", []Column{{Key: "d", Kind: Decimal}}, Options{}, []Cell{7}, "7"},
		{"date ISO", []Column{{Key: "d", Kind: Date}}, Options{}, []Cell{day("2025-03-04")}, "2025-03-04"},
		{"time.Time date is its day", []Column{{Key: "d", Kind: Date}}, Options{},
			[]Cell{time.Date(2025, 3, 4, 23, 30, 0, 0, time.UTC)}, "2025-03-04"},
		{"date before 1970", []Column{{Key: "d", Kind: Date}}, Options{}, []Cell{day("1965-05-01")}, "1965-05-01"},
		{"dates in a row each their own", []Column{{Key: "d", Kind: Date}, {Key: "e", Kind: Date}}, Options{},
			[]Cell{day("2025-03-04"), day("2025-03-05")}, "2025-03-04;2025-03-05"},
		{"zero date empty", []Column{{Key: "d", Kind: Date}}, Options{}, []Cell{domain.Date{}}, ""},
		{"bool default 1/0", []Column{{Key: "b", Kind: Bool}, {Key: "c", Kind: Bool}}, Options{}, []Cell{true, false}, "1;0"},
		{"bool labels", []Column{{Key: "b", Kind: Bool}, {Key: "c", Kind: Bool}}, Options{True: "ja", False: "nein"},
			[]Cell{true, false}, "ja;nein"},
		{"list joined", text, Options{}, []Cell{[]string{"Finanzierung", "Rechtsform"}}, "Finanzierung, Rechtsform"},
		{"stringer", text, Options{}, []Cell{uuid.MustParse("3b241101-e2bb-4255-8caf-4136c566a962")},
			"3b241101-e2bb-4255-8caf-4136c566a962"},
		{"separator quoted", text, Options{}, []Cell{"a;b"}, `"a;b"`},
		{"comma not quoted", text, Options{}, []Cell{"a,b"}, `a,b`},
		{"quotes doubled", text, Options{}, []Cell{`sag "ja"`}, `"sag ""ja"""`},
		{"leading space quoted", text, Options{}, []Cell{" x"}, `" x"`},
		{"postgres end marker quoted", text, Options{}, []Cell{`\.`}, `"\."`},
		{"LF becomes CRLF", text, Options{}, []Cell{"a\nb"}, "\"a\r\nb\""},
		{"CRLF stays CRLF", text, Options{}, []Cell{"a\r\nb"}, "\"a\r\nb\""},
		{"lone CR becomes CRLF", text, Options{}, []Cell{"a\rb"}, "\"a\r\nb\""},
		{"formula = escaped", text, Options{}, []Cell{"=1+2"}, "'=1+2"},
		{"formula + escaped", text, Options{}, []Cell{"+49 30 1234"}, "'+49 30 1234"},
		{"formula - escaped", text, Options{}, []Cell{"-2+3"}, "'-2+3"},
		{"formula @ escaped", text, Options{}, []Cell{"@SUM(A1)"}, "'@SUM(A1)"},
		{"formula tab escaped", text, Options{}, []Cell{"\t=1"}, "'\t=1"},
		{"formula CR escaped and quoted", text, Options{}, []Cell{"\r=1"}, "\"'\r\n=1\""},
		{"formula escaped and quoted", text, Options{}, []Cell{`=HYPERLINK("http://x";"y")`},
			`"'=HYPERLINK(""http://x"";""y"")"`},
		{"formula sign inside not escaped", text, Options{}, []Cell{"a=b"}, "a=b"},
		{"negative number not escaped", []Column{{Key: "n", Kind: Int}}, Options{}, []Cell{-5}, "-5"},
		{"bool label escaped", []Column{{Key: "b", Kind: Bool}}, Options{True: "=ja"}, []Cell{true}, "'=ja"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(write(t, CSV, tt.cols, tt.opts, tt.row))
			_, data, ok := strings.Cut(got, "\r\n")
			if !ok || !strings.HasPrefix(got, "\uFEFF") {
				t.Fatalf("no BOM and heading line: %q", got)
			}
			if want := tt.want + "\r\n"; data != want {
				t.Errorf("got %q, want %q", data, want)
			}
		})
	}

	t.Run("whole file: BOM, labels, semicolons, CRLF", func(t *testing.T) {
		cols := []Column{{Key: "d", Label: "Datum", Kind: Date}, {Key: "t", Label: "Träger; Name"},
			{Key: "n", Label: "Anzahl", Kind: Int}, {Key: "q", Label: "Quote", Kind: Decimal}}
		got := write(t, CSV, cols, Options{},
			[]Cell{day("2025-01-31"), "Süd", 12, 0.5},
			[]Cell{day("2025-02-01"), "=Nord", Suppressed, Suppressed})
		want := "\xEF\xBB\xBFDatum;\"Träger; Name\";Anzahl;Quote\r\n" +
			"2025-01-31;Süd;12;0,5\r\n" +
			"2025-02-01;'=Nord;.;.\r\n"
		if string(got) != want {
			t.Errorf("got\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("labels are escaped like text", func(t *testing.T) {
		got := string(write(t, CSV, []Column{{Key: "a", Label: "-Minus"}}, Options{}))
		if got != "\uFEFF'-Minus\r\n" {
			t.Errorf("got %q", got)
		}
	})
}

func TestWriterRejectsWhatDoesNotFit(t *testing.T) {
	cols := []Column{{Key: "t"}, {Key: "n", Kind: Int}, {Key: "d", Kind: Decimal}, {Key: "day", Kind: Date}, {Key: "b", Kind: Bool}}
	ok := []Cell{"x", 1, 1.5, day("2025-01-01"), true}
	tests := []struct {
		name string
		row  []Cell
	}{
		{"too few cells", ok[:4]},
		{"too many cells", append(append([]Cell{}, ok...), "x")},
		{"number in a text column", []Cell{1, 1, 1.5, nil, true}},
		{"float in an int column", []Cell{"x", 1.5, 1.5, nil, true}},
		{"text in a decimal column", []Cell{"x", 1, "1,5", nil, true}},
		{"NaN", []Cell{"x", 1, math.NaN(), nil, true}},
		{"infinity", []Cell{"x", 1, math.Inf(1), nil, true}},
		{"text in a date column", []Cell{"x", 1, 1.5, "2025-01-01", true}},
		{"text in a bool column", []Cell{"x", 1, 1.5, nil, "ja"}},
		{"uint64 too large", []Cell{"x", uint64(math.MaxUint64), 1.5, nil, true}},
	}
	for _, f := range Formats {
		for _, tt := range tests {
			t.Run(string(f)+"/"+tt.name, func(t *testing.T) {
				var out bytes.Buffer
				w, err := NewWriter(&out, f, cols, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Row(tt.row...); err == nil {
					t.Fatal("no error")
				}
				if err := w.Row(ok...); err != nil {
					t.Fatalf("a bad row spoils the writer: %v", err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if w.Rows() != 1 {
					t.Errorf("rows %d, want 1", w.Rows())
				}
			})
		}
	}

	setup := []struct {
		name string
		f    Format
		cols []Column
		opts Options
	}{
		{"unknown format", Format("ods"), cols, Options{}},
		{"no columns", CSV, nil, Options{}},
		{"empty key", CSV, []Column{{Key: ""}}, Options{}},
		{"repeated key", JSON, []Column{{Key: "a"}, {Key: "a"}}, Options{}},
		{"meta rows", JSON, cols, Options{Meta: map[string]any{"rows": 1}}},
		{"meta not marshalable", JSON, cols, Options{Meta: map[string]any{"x": func() {}}}},
		{"bad sheet name", XLSX, cols, Options{Sheet: "a/b"}},
		{"no temporary directory", XLSX, cols, Options{TmpDir: "/nonexistent/lotse"}},
	}
	for _, tt := range setup {
		t.Run("NewWriter/"+tt.name, func(t *testing.T) {
			if _, err := NewWriter(io.Discard, tt.f, tt.cols, tt.opts); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestXLSXOpensWithRealNumbersAndAFrozenHeading(t *testing.T) {
	cols := []Column{
		{Key: "day", Label: "Datum", Kind: Date},
		{Key: "carrier", Label: "Träger"},
		{Key: "count", Label: "Anzahl", Kind: Int},
		{Key: "share", Label: "Anteil", Kind: Decimal, Width: 15},
		{Key: "interpreter", Label: "Sprachmittlung", Kind: Bool},
		{Key: "topics", Label: "Themen"},
	}
	data := write(t, XLSX, cols, Options{Sheet: "Aktivität", True: "ja", False: "nein"},
		[]Cell{day("2025-03-14"), "=Süd", 12, 0.25, true, []string{"Finanzierung", "Rechtsform"}},
		[]Cell{day("2024-12-31"), "Nord", Suppressed, Suppressed, false, nil},
		[]Cell{day("1965-05-01"), "", int64(-3), 1e6, nil, []string{}},
	)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const sheet = "Aktivität"
	if got := f.GetSheetList(); len(got) != 1 || got[0] != sheet {
		t.Fatalf("sheets %v", got)
	}

	t.Run("values", func(t *testing.T) {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		// excelize renders the built-in date format 14 as mm-dd-yy; Excel shows it in
		// the reader's locale (14.03.2025).
		want := [][]string{
			{"Datum", "Träger", "Anzahl", "Anteil", "Sprachmittlung", "Themen"},
			{"03-14-25", "=Süd", "12", "0.25", "ja", "Finanzierung, Rechtsform"},
			{"12-31-24", "Nord", ".", ".", "nein"},
			{"05-01-65", "", "-3", "1000000"},
		}
		if len(rows) != len(want) {
			t.Fatalf("rows %q", rows)
		}
		for i := range want {
			if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
				t.Errorf("row %d: %q, want %q", i+1, rows[i], want[i])
			}
		}
	})
	t.Run("numbers are numbers", func(t *testing.T) {
		for _, cell := range []string{"A2", "C2", "D2", "C4", "D4"} {
			typ, err := f.GetCellType(sheet, cell)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s has type %v, want a number", cell, typ)
			}
		}
		for cell, want := range map[string]string{"A2": "45730", "A3": "45657", "A4": "23863", "C2": "12", "D2": "0.25", "C4": "-3", "D4": "1000000"} {
			got, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			if err != nil || got != want {
				t.Errorf("%s raw %q (%v), want %q", cell, got, err, want)
			}
		}
	})
	t.Run("text is text, not a formula", func(t *testing.T) {
		typ, _ := f.GetCellType(sheet, "B2")
		if typ != excelize.CellTypeInlineString {
			t.Errorf("B2 type %v", typ)
		}
		if formula, _ := f.GetCellFormula(sheet, "B2"); formula != "" {
			t.Errorf("B2 has formula %q", formula)
		}
	})
	t.Run("suppressed cells are a right-aligned dot", func(t *testing.T) {
		style, _ := f.GetCellStyle(sheet, "C3")
		s, err := f.GetStyle(style)
		if err != nil || s.Alignment == nil || s.Alignment.Horizontal != "right" {
			t.Errorf("C3 style %+v (%v)", s, err)
		}
	})
	t.Run("heading bold and frozen", func(t *testing.T) {
		panes, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
			t.Errorf("panes %+v", panes)
		}
		style, _ := f.GetCellStyle(sheet, "B1")
		s, err := f.GetStyle(style)
		if err != nil || s.Font == nil || !s.Font.Bold {
			t.Errorf("B1 style %+v (%v)", s, err)
		}
	})
	t.Run("column widths", func(t *testing.T) {
		for col, want := range map[string]float64{"A": 12, "B": 24, "C": 10, "D": 15, "E": 16} {
			got, err := f.GetColWidth(sheet, col)
			if err != nil || got != want {
				t.Errorf("width of %s %v (%v), want %v", col, got, err, want)
			}
		}
	})
}

func TestXLSXTakesAnyText(t *testing.T) {
	texts := []string{"\x00\x01\x1f", "\xff\xfe", "<b>&amp;</b>", "_x0041_", " lead and trail ", "a\r\nb", strings.Repeat("x", 40000)}
	var rows [][]Cell
	for _, s := range texts {
		rows = append(rows, []Cell{s})
	}
	data := write(t, XLSX, []Column{{Key: "t", Label: "T"}}, Options{}, rows...)
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := f.GetRows("Export")
	if err != nil || len(got) != len(texts)+1 {
		t.Fatalf("rows %d, %v", len(got), err)
	}
	for i, want := range map[int]string{3: "<b>&amp;</b>", 4: "_x0041_", 5: " lead and trail "} {
		if got[i][0] != want {
			t.Errorf("row %d: %q, want %q", i+1, got[i][0], want)
		}
	}
}

func TestXLSXStopsAtItsRowLimit(t *testing.T) {
	var out bytes.Buffer
	w, err := NewWriter(&out, XLSX, []Column{{Key: "n", Kind: Int}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.x.maxRows = 2
	for i := range 2 {
		if err := w.Row(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Row(3); !errors.Is(err, ErrTooManyRows) || domain.ErrorCode(err) != domain.ErrInvalid {
		t.Fatalf("got %v, want ErrTooManyRows", err)
	}
	if err := w.Close(); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("Close returned %v", err)
	}
	if out.Len() != 0 || w.Started() {
		t.Error("bytes sent")
	}
}

func TestXLSXSpillsToTmpDirAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	w, err := NewWriter(&out, XLSX, []Column{{Key: "t"}, {Key: "n", Kind: Int}}, Options{TmpDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 1000)
	for i := 0; i < 20_000; i++ { // some 20 MB of sheet XML, over excelize's 16 MB chunk
		if err := w.Row(long, i); err != nil {
			t.Fatal(err)
		}
	}
	if files, _ := filepathGlob(dir); len(files) == 0 {
		t.Error("no temporary file in TmpDir")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if files, _ := filepathGlob(dir); len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
	f, err := excelize.OpenReader(&out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Export", "B20001"); v != "19999" {
		t.Errorf("last row %q", v)
	}
}

func TestJSONStreamsRowsWithNullForSuppressed(t *testing.T) {
	cols := []Column{{Key: "day", Kind: Date}, {Key: "name"}, {Key: "count", Kind: Int},
		{Key: "share", Kind: Decimal}, {Key: "flag", Kind: Bool}, {Key: "topics"}}
	data := write(t, JSON, cols, Options{Meta: map[string]any{"minimum_cell": 5, "from": day("2025-01-01")}, SuppressedKey: "suppressed"},
		[]Cell{day("2025-03-14"), "Süd \"a\"\n\x01\u2028", 12, 0.25, true, []string{"financing", "legal_form"}},
		[]Cell{nil, "=x", Suppressed, Suppressed, false, []string{}},
		[]Cell{nil, "\xff", 1, 1e21, nil, nil},
	)
	if !json.Valid(data) {
		t.Fatalf("invalid JSON: %s", data)
	}
	var got struct {
		MinimumCell int              `json:"minimum_cell"`
		From        string           `json:"from"`
		Rows        []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.MinimumCell != 5 || got.From != "2025-01-01" || len(got.Rows) != 3 {
		t.Fatalf("got %+v", got)
	}
	r := got.Rows
	checks := []struct {
		name      string
		got, want any
	}{
		{"date", r[0]["day"], "2025-03-14"},
		{"escaped text", r[0]["name"], "Süd \"a\"\n\x01\u2028"},
		{"int", r[0]["count"], 12.0},
		{"decimal", r[0]["share"], 0.25},
		{"bool", r[0]["flag"], true},
		{"list", strings.Join(toStrings(r[0]["topics"]), ","), "financing,legal_form"},
		{"no suppressed list without suppressed cells", r[0]["suppressed"], nil},
		{"empty date null", r[1]["day"], nil},
		{"text not formula-escaped", r[1]["name"], "=x"},
		{"suppressed null", r[1]["count"], nil},
		{"suppressed listed", strings.Join(toStrings(r[1]["suppressed"]), ","), "count,share"},
		{"empty list", len(toStrings(r[1]["topics"])), 0},
		{"invalid UTF-8 replaced", r[2]["name"], "\uFFFD"},
		{"large float", r[2]["share"], 1e21},
		{"nil null", r[2]["flag"], nil},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
	t.Run("no rows", func(t *testing.T) {
		data := write(t, JSON, cols, Options{})
		if string(data) != "{\"rows\":[\n]}\n" {
			t.Errorf("got %q", data)
		}
	})
}

func filepathGlob(dir string) ([]string, error) { return filepath.Glob(filepath.Join(dir, "*")) }

func toStrings(v any) []string {
	l, _ := v.([]any)
	s := make([]string, len(l))
	for i, x := range l {
		s[i], _ = x.(string)
	}
	return s
}

// slowClient records what arrived and when it was flushed.
type slowClient struct {
	bytes.Buffer
	flushes int
	fail    error
}

func (c *slowClient) Write(p []byte) (int, error) {
	if c.fail != nil {
		return 0, c.fail
	}
	return c.Buffer.Write(p)
}

func (c *slowClient) Flush() { c.flushes++ }

func TestWriterSendsBytesEarly(t *testing.T) {
	cols := []Column{{Key: "n", Kind: Int}}
	for _, f := range []Format{CSV, JSON} {
		t.Run(string(f)+"/nothing before the first row", func(t *testing.T) {
			var c slowClient
			w, err := NewWriter(&c, f, cols, Options{FlushInterval: time.Nanosecond})
			if err != nil {
				t.Fatal(err)
			}
			if c.Len() != 0 || w.Started() {
				t.Fatal("heading sent before the first row")
			}
			if err := w.Row(1); err != nil {
				t.Fatal(err)
			}
			if c.Len() == 0 || c.flushes != 1 || !w.Started() {
				t.Errorf("after the first row: %d bytes, %d flushes", c.Len(), c.flushes)
			}
		})
		t.Run(string(f)+"/buffered within the interval", func(t *testing.T) {
			var c slowClient
			w, err := NewWriter(&c, f, cols, Options{FlushInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Row(1); err != nil {
				t.Fatal(err)
			}
			if c.Len() != 0 {
				t.Error("sent at once")
			}
			for i := 0; c.Len() == 0 && i < 100_000; i++ {
				if err := w.Row(i); err != nil {
					t.Fatal(err)
				}
			}
			if c.Len() < bufferSize {
				t.Errorf("a full buffer not sent: %d bytes", c.Len())
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("a failing client stops the writer", func(t *testing.T) {
		for _, f := range Formats {
			c := slowClient{fail: errors.New("connection reset")}
			w, err := NewWriter(&c, f, cols, Options{FlushInterval: time.Nanosecond})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Row(1)
			if f != XLSX && !errors.Is(err, c.fail) {
				t.Errorf("%s: Row returned %v", f, err)
			}
			if err := w.Close(); !errors.Is(err, c.fail) {
				t.Errorf("%s: Close returned %v", f, err)
			}
			if err := w.Row(1); err == nil {
				t.Errorf("%s: Row after the failure succeeded", f)
			}
		}
	})
}

func TestAbortLeavesNoCompleteFile(t *testing.T) {
	cols := []Column{{Key: "n", Kind: Int}}
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			dir := t.TempDir()
			var c slowClient
			w, err := NewWriter(&c, f, cols, Options{TmpDir: dir, FlushInterval: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				if err := w.Row(i); err != nil {
					t.Fatal(err)
				}
			}
			w.Abort()
			if c.Len() != 0 || w.Started() {
				t.Errorf("%d bytes sent", c.Len())
			}
			if err := w.Row(1); err == nil {
				t.Error("Row after Abort succeeded")
			}
			if err := w.Close(); err != nil || c.Len() != 0 {
				t.Errorf("Close after Abort: %v, %d bytes", err, c.Len())
			}
			if files, _ := filepathGlob(dir); len(files) != 0 {
				t.Errorf("left behind: %v", files)
			}
		})
	}
	t.Run("after bytes were sent", func(t *testing.T) {
		var c slowClient
		w, _ := NewWriter(&c, JSON, cols, Options{FlushInterval: time.Nanosecond})
		_ = w.Row(1)
		w.Abort()
		_ = w.Row(2)
		w.Abort()
		if !w.Started() || json.Valid(c.Bytes()) {
			t.Errorf("sent %q", c.Bytes())
		}
	})
}

func TestContentTypeAndFileName(t *testing.T) {
	tests := []struct {
		f          Format
		base, name string
		ctype      string
	}{
		{CSV, "aktivität 2025/Q1", "aktivit_t_2025_Q1.csv", "text/csv; charset=utf-8"},
		{XLSX, "activity_2025-01-01_2025-03-31", "activity_2025-01-01_2025-03-31.xlsx",
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{JSON, "", "export.json", "application/json"},
		{JSON, `"a"\r\n`, "_a__r_n.json", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FileName(tt.base, tt.f); got != tt.name {
				t.Errorf("FileName %q", got)
			}
			if got := ContentType(tt.f); got != tt.ctype {
				t.Errorf("ContentType %q", got)
			}
			if f, err := ParseFormat(string(tt.f)); err != nil || f != tt.f {
				t.Errorf("ParseFormat %q %v", f, err)
			}
		})
	}
	t.Run("ParseFormat rejects others", func(t *testing.T) {
		if _, err := ParseFormat("CSV"); domain.ErrorCode(err) != domain.ErrInvalid {
			t.Errorf("got %v", err)
		}
	})
}
