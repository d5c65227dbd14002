package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

var fuzzSeeds = []string{"", "Beratung", "Träger Süd", "=1+2", "+49", "-5", "@SUM(A1)", "\t=1", "\r=1",
	"\n=1", `a"b`, "a;b", "a,b", " x", `\.`, "a\r\nb", "a\rb", "a\nb", "\"", "'", "\xff\xfe", "\u2028",
	`=HYPERLINK("http://evil";"klick")`, "ａ=full width", "\u00a0x"}

// readable is what a text cell reads back as from the CSV: formula-escaped, every line
// break one LF (encoding/csv turns the CRLF we write back into LF).
func readable(s string) string {
	s = EscapeFormula(s)
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// FuzzCSVCell: a text cell is exactly the field encoding/csv writes (";", CRLF) for the
// formula-escaped text, and never starts with a formula character.
func FuzzCSVCell(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := CSVText(s)
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		cw.Comma, cw.UseCRLF = ';', true
		if err := cw.Write([]string{readable(s)}); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		if w := strings.TrimSuffix(want.String(), "\r\n"); got != w {
			t.Fatalf("CSVText(%q) = %q, encoding/csv %q", s, got, w)
		}
		if r := readable(s); r != "" && strings.ContainsRune("=+-@\t\r\n", rune(r[0])) {
			t.Fatalf("CSVText(%q) reads back as %q, which starts with a formula character", s, r)
		}
	})
}

// FuzzWriterRoundTrip: a row written as CSV reads back with encoding/csv as the
// escaped texts and the numbers in German notation; written as JSON it reads back as
// the texts (invalid UTF-8 as U+FFFD) and the numbers.
func FuzzWriterRoundTrip(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[len(fuzzSeeds)-1-i], int64(i*1000-3), float64(i)/8-1)
	}
	f.Add("", "", int64(math.MinInt64), math.Copysign(0, -1))
	f.Add("x", "y", int64(math.MaxInt64), 1e-7)
	f.Add("nan", "inf", int64(0), math.Inf(1))
	f.Fuzz(func(t *testing.T, a, b string, n int64, x float64) {
		cols := []Column{{Key: "a", Label: a}, {Key: "b", Label: "b"}, {Key: "n", Label: "n", Kind: Int},
			{Key: "x", Label: "x", Kind: Decimal}, {Key: "s", Label: "s", Kind: Int}, {Key: "l", Label: "l"}}
		row := []Cell{a, b, n, x, Suppressed, []string{a, b}}

		var out bytes.Buffer
		w, err := NewWriter(&out, CSV, cols, Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Row(row...)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			// No number a spreadsheet can hold: the row is refused, never written.
			if err == nil {
				t.Fatalf("accepted the decimal %v", x)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, ok := bytes.CutPrefix(out.Bytes(), []byte("\uFEFF"))
		if !ok {
			t.Fatal("no BOM")
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.Comma = ';'
		records, err := r.ReadAll()
		if err != nil {
			t.Fatalf("reading back %q: %v", data, err)
		}
		decimal := strings.Replace(strconv.FormatFloat(x, 'f', -1, 64), ".", ",", 1)
		want := [][]string{
			{readable(a), "b", "n", "x", "s", "l"},
			{readable(a), readable(b), strconv.FormatInt(n, 10), decimal, ".", readable(a + ", " + b)},
		}
		if len(records) != 2 {
			t.Fatalf("read %q from %q", records, data)
		}
		for i := range want {
			if strings.Join(records[i], "\x00") != strings.Join(want[i], "\x00") {
				t.Fatalf("line %d: read %q, want %q", i+1, records[i], want[i])
			}
		}

		out.Reset()
		if w, err = NewWriter(&out, JSON, cols, Options{SuppressedKey: "suppressed"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Row(row...); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Rows []struct {
				A, B       string
				N          json.Number
				X          float64
				S          *int
				L          []string
				Suppressed []string
			}
		}
		dec := json.NewDecoder(&out)
		dec.UseNumber()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("JSON %q: %v", out.Bytes(), err)
		}
		valid := func(s string) string { return string([]rune(s)) }
		g := got.Rows[0]
		if len(got.Rows) != 1 || g.A != valid(a) || g.B != valid(b) || g.N.String() != strconv.FormatInt(n, 10) ||
			g.X != x || g.S != nil || len(g.L) != 2 || g.L[0] != valid(a) || g.L[1] != valid(b) ||
			len(g.Suppressed) != 1 || g.Suppressed[0] != "s" {
			t.Fatalf("JSON read back %+v", got)
		}
	})
}
