// Package export writes Lotse's downloads (statistics tables, the activity export) as
// CSV for German Excel, XLSX or JSON through one streaming Writer, and holds the
// activity export itself.
//
// Every format streams: rows go out (CSV, JSON) or to a temporary file (XLSX) as they
// are written, so memory stays flat however many rows an export has.
//
// A download handler, after checking the user's scope and the query:
//
//	w, err := export.NewWriter(c.Writer, f, export.ActivityColumns(label),
//		export.Options{True: label("yes_no.yes"), False: label("yes_no.no")})
//	// Content-Type: export.ContentType(f); Content-Disposition: attachment with
//	// filename export.FileName("aktivitaet_2025-01-01_2025-12-31", f)
//	if _, err = export.WriteActivity(ctx, db, q, w); err != nil {
//		w.Abort()
//		if w.Started() {
//			panic(http.ErrAbortHandler) // a failed download, not a short file
//		}
//		return err // nothing sent yet: an ordinary error response
//	}
//	return w.Close() // an error here, too, comes after bytes were sent
package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/iq-migrantenoekonomie/lotse/internal/domain"
)

// Format is a download format.
type Format string

// The formats.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	JSON Format = "json"
)

// Formats lists every format, for forms and validation.
var Formats = []Format{CSV, XLSX, JSON}

// ParseFormat reads a format name ("csv", "xlsx", "json"). Its error is a
// domain.ErrInvalid naming the field "format" (validation.oneof).
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	return "", &domain.Error{Code: domain.ErrInvalid, Message: "error.invalid",
		Fields: []domain.FieldError{{Field: "format", Message: "validation.oneof", Param: "csv, xlsx, json"}}}
}

// ContentType is the media type of f for the Content-Type header.
func ContentType(f Format) string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case JSON:
		return "application/json"
	}
	return "application/octet-stream"
}

// FileName is base with the extension of f, base reduced to ASCII letters, digits and
// "._-" (anything else becomes "_"), so it can stand in a Content-Disposition header
// without quoting trouble.
func FileName(base string, f Format) string {
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		b.WriteString("export")
	}
	return b.String() + "." + string(f)
}

// Kind is the type of a column's values; it decides how each format writes them.
type Kind int

// The kinds and the Go values a cell of each kind may hold (besides nil and Suppressed):
//
//	Text     string, []string (a list: joined by ", " in CSV and XLSX, an array in JSON), fmt.Stringer
//	Int      int, int8 … int64, uint8 … uint64 (not uint64 above math.MaxInt64)
//	Decimal  float32, float64 (finite) and the integer types
//	Date     domain.Date, time.Time (its calendar day); the zero value is an empty cell
//	Bool     bool
const (
	Text Kind = iota
	Int
	Decimal
	Date
	Bool
)

func (k Kind) String() string {
	switch k {
	case Text:
		return "text"
	case Int:
		return "int"
	case Decimal:
		return "decimal"
	case Date:
		return "date"
	case Bool:
		return "bool"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Column describes one column. Key names it in JSON; Label is its heading in CSV and
// XLSX, already in the reader's language; Width is its XLSX width in characters (0: a
// default by kind and label).
type Column struct {
	Key   string
	Label string
	Kind  Kind
	Width float64
}

// Cell is one value of a row: nil is an empty cell (null in JSON), Suppressed a value
// withheld for small-cell protection; the other Go types allowed depend on the
// column's Kind.
type Cell = any

type suppressed struct{}

// Suppressed marks a value withheld because its cell is too small to publish: "." in
// CSV and XLSX (the mark of the German statistical offices), null in JSON.
var Suppressed Cell = suppressed{}

// SuppressedMark is what CSV and XLSX show for a Suppressed cell.
const SuppressedMark = "."

// MaxXLSXRows is how many rows (without the heading) an XLSX sheet can hold.
const MaxXLSXRows = 1048576 - 1

// ErrTooManyRows is returned by Row of an XLSX Writer past MaxXLSXRows, and then by
// Close, which writes nothing: nothing has reached the output, so the HTTP layer can
// still answer with an error (suggesting CSV or a shorter period).
var ErrTooManyRows = domain.Errorf(domain.ErrInvalid, "error.export_too_many_rows")

// Options tune a Writer; the zero value is fine.
type Options struct {
	// True and False are the CSV and XLSX texts of Bool cells (e.g. "ja", "nein");
	// "1" and "0" when empty. JSON writes true and false.
	True, False string
	// Meta holds top-level JSON fields written before "rows" (e.g. "minimum_cell": 5),
	// marshalled with encoding/json. Ignored by CSV and XLSX.
	Meta map[string]any
	// SuppressedKey, when set, adds to every JSON row that has Suppressed cells a list
	// of their column keys under this name, e.g. "suppressed": ["count"].
	SuppressedKey string
	// Sheet names the XLSX sheet; "Export" when empty.
	Sheet string
	// TmpDir is where the XLSX writer spills its sheet once it is over 16 MB; the
	// system's temporary directory ($TMPDIR, else /tmp) when empty. The file is
	// removed by Close.
	TmpDir string
	// FlushInterval is how long buffered CSV or JSON bytes may wait for more before
	// they are sent on; 1 s when zero.
	FlushInterval time.Duration
}

// Writer writes one table in one format. Use NewWriter, Row for each row, then Close,
// or Abort when the rows could not all be written. A Writer is not safe for concurrent
// use. After a write error every later call returns that error.
type Writer struct {
	format   Format
	cols     []Column
	opts     Options
	out      io.Writer
	buf      *bufio.Writer // CSV and JSON
	flush    func() error  // out's own Flush (http.Flusher, bufio.Writer), if it has one
	interval time.Duration
	last     time.Time // of the last flush
	rows     int
	sent     bool // bytes have gone to out
	err      error
	closed   bool

	line       []byte // the row being encoded (CSV, JSON)
	vals       []value
	x          *xlsxSheet
	day        int64    // of dayText
	dayText    []byte   // the last date written (CSV, JSON)
	jsonKeys   []string // `"key":` of each column
	suppressed []int    // indexes of the Suppressed cells of the current JSON row
}

// bufferSize is the CSV and JSON buffer: large enough that writes to the network are
// not tiny, small enough that a slow client gets bytes early.
const bufferSize = 64 << 10

// NewWriter starts a table of the columns cols in format f on w and writes the heading
// (CSV: byte order mark and the labels; XLSX: a bold, frozen heading row; JSON: Meta
// and the start of "rows"). Nothing reaches w before the first row is flushed or Close
// is called, so an error before the first row can still be answered with an error
// status. It returns an error for an unknown format, no columns, a duplicate or empty
// column key, a Meta key "rows", an invalid sheet name or a failing XLSX setup.
func NewWriter(w io.Writer, f Format, cols []Column, opts Options) (*Writer, error) {
	if len(cols) == 0 {
		return nil, errors.New("export: no columns")
	}
	seen := make(map[string]bool, len(cols))
	for _, c := range cols {
		if c.Key == "" || seen[c.Key] {
			return nil, fmt.Errorf("export: column key %q empty or repeated", c.Key)
		}
		seen[c.Key] = true
	}
	if opts.True == "" {
		opts.True = "1"
	}
	if opts.False == "" {
		opts.False = "0"
	}
	wr := &Writer{format: f, cols: cols, opts: opts, out: w, interval: opts.FlushInterval,
		last: time.Now(), vals: make([]value, len(cols))}
	if wr.interval <= 0 {
		wr.interval = time.Second
	}
	switch fl := w.(type) {
	case interface{ Flush() error }:
		wr.flush = fl.Flush
	case interface{ Flush() }:
		wr.flush = func() error { fl.Flush(); return nil }
	}
	var err error
	switch f {
	case CSV:
		wr.buf = bufio.NewWriterSize(&sentWriter{wr}, bufferSize)
		err = wr.csvHeader()
	case JSON:
		wr.buf = bufio.NewWriterSize(&sentWriter{wr}, bufferSize)
		err = wr.jsonHeader()
	case XLSX:
		if err := checkTmpDir(opts.TmpDir); err != nil {
			return nil, err
		}
		wr.x, err = newXLSXSheet(wr)
	default:
		return nil, fmt.Errorf("export: unknown format %q", f)
	}
	if err != nil {
		if wr.x != nil {
			_ = wr.x.close()
		}
		return nil, err
	}
	return wr, nil
}

// sentWriter notes that bytes have left the buffer for out.
type sentWriter struct{ w *Writer }

func (s *sentWriter) Write(p []byte) (int, error) {
	s.w.sent = true
	return s.w.out.Write(p)
}

// Format is the Writer's format.
func (w *Writer) Format() Format { return w.format }

// Rows is how many rows have been written.
func (w *Writer) Rows() int { return w.rows }

// Started reports whether bytes have reached the output: from then on an error can
// only end the download, no longer change its status.
func (w *Writer) Started() bool { return w.sent }

// Row writes one row, a cell for each column in order. It returns an error when the
// number of cells or a cell's type does not fit the columns (nothing is written then),
// ErrTooManyRows past MaxXLSXRows, and any error writing to the output.
func (w *Writer) Row(cells ...Cell) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("export: Row after Close")
	}
	if len(cells) != len(w.cols) {
		return fmt.Errorf("export: %d cells for %d columns", len(cells), len(w.cols))
	}
	for i, c := range cells {
		v, err := toValue(w.cols[i], c)
		if err != nil {
			return err
		}
		w.vals[i] = v
	}
	var err error
	switch w.format {
	case CSV:
		err = w.csvRow()
	case JSON:
		err = w.jsonRow()
	case XLSX:
		err = w.x.row(w.vals)
	}
	if err != nil {
		w.err = err
		return err
	}
	w.rows++
	if w.buf != nil && time.Since(w.last) >= w.interval {
		return w.Flush()
	}
	return nil
}

// Flush sends buffered CSV or JSON bytes on, and flushes the output if it can (an
// http.ResponseWriter can). XLSX has nothing to send before Close.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.last = time.Now()
	if w.buf == nil || w.buf.Buffered() == 0 {
		return nil
	}
	if err := w.buf.Flush(); err != nil {
		w.err = err
		return err
	}
	if w.flush != nil {
		if err := w.flush(); err != nil {
			w.err = err
			return err
		}
	}
	return nil
}

// Close ends the complete table (JSON: closes "rows"; XLSX: writes the whole workbook
// to the output) and flushes; for an incomplete one use Abort. It does not close the
// output. It returns the first error of the Writer or of writing the end; after a
// Writer error it writes nothing more. It removes the XLSX temporary file, also after
// an error. Calling it again returns nil.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.err != nil {
		if w.x != nil {
			_ = w.x.close()
		}
		return w.err
	}
	var err error
	switch w.format {
	case JSON:
		_, err = w.buf.WriteString("\n]}\n")
	case XLSX:
		w.sent = true
		err = w.x.finish(w.out)
	}
	if err != nil {
		w.err = err
		return err
	}
	if w.buf != nil {
		w.last = time.Time{}
		return w.Flush()
	}
	if w.flush != nil {
		if err := w.flush(); err != nil {
			w.err = err
		}
	}
	return w.err
}

// Abort ends the Writer without finishing the table, for when not all rows could be
// written (a database error, a cancelled request): buffered bytes are dropped, nothing
// more is written, the XLSX temporary file is removed. Unlike Close it leaves no
// well-formed but incomplete file behind. If Started, the output holds part of the
// table and the HTTP layer should break the response off (panic(http.ErrAbortHandler))
// so the client sees a failed download; otherwise it can still answer with an error.
// Abort after Close does nothing.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	if w.err == nil {
		w.err = errors.New("export: aborted")
	}
	if w.buf != nil {
		w.buf.Reset(io.Discard)
	}
	if w.x != nil {
		_ = w.x.close()
	}
}

// value is a cell checked against its column's kind, so the encoders need not ask.
// It is small because a row copies one per cell.
type value struct {
	typ  valueType
	s    string
	list []string
	i    int64 // vInt; vDate: days since 1970-01-01; vBool: 1 or 0
	f    float64
}

type valueType uint8

const (
	vNull valueType = iota
	vSuppressed
	vText
	vList
	vInt
	vFloat
	vDate
	vBool
)

// toValue checks c against col and converts it.
func toValue(col Column, c Cell) (value, error) {
	switch c.(type) {
	case nil:
		return value{}, nil
	case suppressed:
		return value{typ: vSuppressed}, nil
	}
	bad := func() (value, error) {
		return value{}, fmt.Errorf("export: column %q (%s) cannot hold %T", col.Key, col.Kind, c)
	}
	switch col.Kind {
	case Text:
		switch c := c.(type) {
		case string:
			return value{typ: vText, s: c}, nil
		case []string:
			return value{typ: vList, list: c}, nil
		case fmt.Stringer:
			return value{typ: vText, s: c.String()}, nil
		}
	case Int, Decimal:
		if i, ok := toInt(c); ok {
			return value{typ: vInt, i: i}, nil
		}
		if col.Kind == Decimal {
			var f float64
			switch c := c.(type) {
			case float64:
				f = c
			case float32:
				f = float64(c)
			default:
				return bad()
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return value{}, fmt.Errorf("export: column %q: %v is not a number to write", col.Key, f)
			}
			return value{typ: vFloat, f: f}, nil
		}
	case Date:
		var t time.Time
		switch c := c.(type) {
		case domain.Date:
			t = c.Time
		case time.Time:
			t = c
		default:
			return bad()
		}
		if t.IsZero() {
			return value{}, nil
		}
		// The day's midnight in UTC is a whole number of days after the epoch.
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		return value{typ: vDate, i: midnight.Unix() / secondsPerDay}, nil
	case Bool:
		if b, ok := c.(bool); ok {
			v := value{typ: vBool}
			if b {
				v.i = 1
			}
			return v, nil
		}
	}
	return bad()
}

func toInt(c Cell) (int64, bool) {
	switch c := c.(type) {
	case int:
		return int64(c), true
	case int64:
		return c, true
	case int32:
		return int64(c), true
	case int16:
		return int64(c), true
	case int8:
		return int64(c), true
	case uint8:
		return int64(c), true
	case uint16:
		return int64(c), true
	case uint32:
		return int64(c), true
	case uint64:
		return int64(c), c <= math.MaxInt64
	case uint:
		return int64(c), uint64(c) <= math.MaxInt64
	}
	return 0, false
}

const secondsPerDay = 24 * 60 * 60

// appendDate appends the day days after 1970-01-01 as YYYY-MM-DD. Rows often come by
// date, so the last day's text is kept.
func (w *Writer) appendDate(b []byte, days int64) []byte {
	if w.dayText == nil || days != w.day {
		w.day = days
		w.dayText = time.Unix(days*secondsPerDay, 0).UTC().AppendFormat(w.dayText[:0], "2006-01-02")
	}
	return append(b, w.dayText...)
}

// listSeparator joins the items of a list cell in CSV and XLSX.
const listSeparator = ", "
