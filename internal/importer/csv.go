package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/sixprot/hub/internal/hub"
)

// Row is a line of a file: its number as a spreadsheet shows it (the
// header is row 1) and its cells.
type Row struct {
	Num   int
	Cells []string
	// Skipped counts blank lines just before this row.
	Skipped int
	// Problems are cells that could not be read (broken encoding, a
	// formula without a result, an error value), by column index.
	Problems map[int]error
}

// RowReader reads a file row by row; Next returns io.EOF after the last.
type RowReader interface {
	Next() (*Row, error)
	// Progress returns how much of the file has been read, of how much.
	Progress() (done, total int64)
}

// sniffSize is how much of a CSV file decides its encoding.
const sniffSize = 64 << 10

// CSVReader reads CSV as Excel writes it: UTF-8 with or without a byte
// order mark, UTF-16 with a mark ("Unicode text"), or GBK/GB18030 (what
// Chinese Excel saves as "CSV"). Comma or tab separated.
type CSVReader struct {
	r        *csv.Reader
	counter  *countingReader
	total    int64
	encoding string
	checkUTF bool
	// line is the last line of the previous record.
	line int
}

// NewCSVReader starts reading src of size bytes (0 if unknown).
func NewCSVReader(src io.Reader, size int64) (*CSVReader, error) {
	counter := &countingReader{r: src}
	br := bufio.NewReaderSize(counter, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, hub.Errorf(hub.EINVALID, "无法读取文件 / cannot read the file: %v", err)
	}
	c := &CSVReader{counter: counter, total: size}
	var text io.Reader = br
	var enc encoding.Encoding
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		c.encoding, c.checkUTF = "UTF-8 (BOM)", true
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc, c.encoding = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "UTF-16"
	case validUTF8Prefix(head):
		c.encoding, c.checkUTF = "UTF-8", true
	default:
		enc, c.encoding = simplifiedchinese.GB18030, "GBK"
	}
	if enc != nil {
		text = transform.NewReader(br, enc.NewDecoder())
		// Invalid sequences decode to U+FFFD; checkUTF finds those too.
		c.checkUTF = true
	}
	tb := bufio.NewReader(text)
	comma := ','
	if first, _ := tb.Peek(4096); bytes.Count(firstLine(first), []byte{'\t'}) > bytes.Count(firstLine(first), []byte{','}) {
		comma = '\t'
	}
	c.r = csv.NewReader(tb)
	c.r.Comma = comma
	c.r.FieldsPerRecord = -1
	c.r.LazyQuotes = true
	c.r.ReuseRecord = true
	return c, nil
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// validUTF8Prefix reports whether b is UTF-8, allowing a rune cut off at
// the end of the sniffed prefix.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// Encoding names the encoding the reader detected.
func (c *CSVReader) Encoding() string { return c.encoding }

// Next returns the next row. Row numbers are line numbers, as a
// spreadsheet shows the file; the csv package skips blank lines, which
// Row.Skipped counts.
func (c *CSVReader) Next() (*Row, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, hub.Errorf(hub.EINVALID, "第 %d 行无法解析为 CSV / row %d is not valid CSV: %v", pe.StartLine, pe.StartLine, pe.Err)
		}
		return nil, hub.Errorf(hub.EINVALID, "第 %d 行之后无法读取 / cannot read after row %d: %v", c.line, c.line, err)
	}
	if len(rec) == 0 {
		rec = []string{""}
	}
	line, _ := c.r.FieldPos(0)
	if line <= c.line {
		line = c.line + 1
	}
	row := &Row{Num: line, Cells: make([]string, len(rec)), Skipped: line - c.line - 1}
	c.line = line
	if last, _ := c.r.FieldPos(len(rec) - 1); last > c.line {
		c.line = last
	}
	for i, cell := range rec {
		if c.checkUTF && (!utf8.ValidString(cell) || strings.ContainsRune(cell, utf8.RuneError)) {
			if row.Problems == nil {
				row.Problems = map[int]error{}
			}
			row.Problems[i] = hub.Errorf(hub.EINVALID, "文字编码损坏（文件按 %s 读取；请另存为 UTF-8 CSV）/ broken text encoding (read as %s; save as CSV UTF-8)", c.encoding, c.encoding)
			cell = ""
		}
		row.Cells[i] = cell
	}
	return row, nil
}

// Progress returns the bytes read so far and the file size.
func (c *CSVReader) Progress() (int64, int64) { return c.counter.n, c.total }

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
