package store_test

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/iq-migrantenoekonomie/lotse/internal/testdb"
)

// recordSection is what docs/processing-record.md says about one or more tables.
type recordSection struct {
	tables      []string
	personal    map[string]int // column → cells in its row
	notPersonal map[string]bool
	none        bool // "No personal data."
}

var backticked = regexp.MustCompile("`([a-z_0-9]+)`")

// readProcessingRecord parses the record: "### `table`" headings, a "Not personal data
// on its own: `a`, `b`." paragraph, a table with one row per personal column, or "No
// personal data.".
func readProcessingRecord(t *testing.T) []*recordSection {
	t.Helper()
	f, err := os.Open("../../docs/processing-record.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*recordSection
	var cur *recordSection
	inNot := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			cur = nil
		case strings.HasPrefix(line, "### "):
			cur = &recordSection{personal: map[string]int{}, notPersonal: map[string]bool{}}
			for _, m := range backticked.FindAllStringSubmatch(line, -1) {
				cur.tables = append(cur.tables, m[1])
			}
			out = append(out, cur)
		case cur == nil:
		case strings.HasPrefix(line, "| `"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			n := 0
			for _, c := range cells {
				if strings.TrimSpace(c) != "" {
					n++
				}
			}
			cur.personal[backticked.FindStringSubmatch(cells[0])[1]] = n
		default:
			if strings.Contains(line, "No personal data.") {
				cur.none = true
			}
			if i := strings.Index(line, "Not personal data on its own:"); i >= 0 {
				inNot, line = true, line[i:]
			}
			if inNot {
				for _, m := range backticked.FindAllStringSubmatch(line, -1) {
					cur.notPersonal[m[1]] = true
				}
				if strings.TrimSpace(line) == "" || strings.HasSuffix(strings.TrimSpace(line), ".") {
					inNot = false
				}
			}
		}
	}
	return out
}

// TestProcessingRecordMatchesSchema: docs/processing-record.md describes every column
// of every table — as personal data with purpose, legal basis and deletion rule, or as
// not personal — and nothing that does not exist.
func TestProcessingRecordMatchesSchema(t *testing.T) {
	db := testdb.New(t)
	var cols []struct {
		Table  string `db:"table_name"`
		Column string `db:"column_name"`
	}
	if err := db.Store.DB.Select(&cols, `
		SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`); err != nil {
		t.Fatal(err)
	}
	schema := map[string][]string{}
	for _, c := range cols {
		schema[c.Table] = append(schema[c.Table], c.Column)
	}
	sections := readProcessingRecord(t)
	described := map[string]*recordSection{}
	for _, s := range sections {
		for _, tb := range s.tables {
			if _, ok := schema[tb]; !ok {
				t.Errorf("the record describes table %s, which does not exist", tb)
			}
			described[tb] = s
		}
		if len(s.tables) > 1 && (len(s.personal) > 0 || len(s.notPersonal) > 0) {
			t.Errorf("the record describes %v together but lists columns: give each table its own section", s.tables)
		}
		for col, n := range s.personal {
			if n != 5 {
				t.Errorf("%v.%s: %d of the 5 cells (column, data, purpose, legal basis, deletion) filled", s.tables, col, n)
			}
		}
	}
	for tb, columns := range schema {
		s, ok := described[tb]
		if !ok {
			t.Errorf("table %s is missing from docs/processing-record.md", tb)
			continue
		}
		if s.none {
			continue
		}
		for _, col := range columns {
			_, personal := s.personal[col]
			if personal == s.notPersonal[col] {
				t.Errorf("column %s.%s: the record must say either how it is processed (a table row) or that it is not personal data", tb, col)
			}
		}
		for col := range s.personal {
			if !slices.Contains(columns, col) {
				t.Errorf("the record describes %s.%s, which does not exist", tb, col)
			}
		}
		for col := range s.notPersonal {
			if !slices.Contains(columns, col) {
				t.Errorf("the record names %s.%s as not personal, but it does not exist", tb, col)
			}
		}
	}
}
