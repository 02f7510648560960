package importer

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// Fixed bounds of what an XLSX file may unpack to, besides Limits: a small
// zip may expand to gigabytes (a "zip bomb"), and what it holds in memory
// (the shared strings, one cell) is bounded on its own.
const (
	maxSharedBytes  = 64 << 20
	maxSharedCount  = 1 << 20
	maxMetaBytes    = 8 << 20
	maxColumnsOfRow = 16384
	// maxCellBytes: Excel holds at most 32,767 characters in a cell.
	maxCellBytes = 32767 * 4
)

// XLSXReader reads the first worksheet of an XLSX workbook row by row.
// The zip file itself must be addressable (a file or an upload held in
// memory); the worksheet is decoded as a stream, so its rows are never all
// in memory. The shared-string table is (it is what cells point into).
//
// Formulas: a formula cell is read as the result Excel cached when it
// saved the file; a formula without a cached result is refused for that
// cell (open and save the file in Excel, or paste values). Merged cells
// below the header are refused for the whole file: a merged region has
// its value in one cell only, so the other rows would silently be empty.
type XLSXReader struct {
	dec      *xml.Decoder
	body     io.Closer
	counter  *countingReader
	total    int64
	shared   []string
	merged   []string
	lastRow  int
	sheet    string
	lim      Limits
	finished bool
}

// NewXLSXReader opens the workbook in r (size bytes) within DefaultLimits.
func NewXLSXReader(r io.ReaderAt, size int64) (*XLSXReader, error) {
	return openXLSX(r, size, DefaultLimits)
}

// openXLSX opens the workbook in r (size bytes). The worksheet and the
// shared strings together may unpack to lim.MaxBytes, and the worksheet
// may hold lim.MaxRows rows: both are known before the first row is read
// (the pass for merged cells counts the rows), so a file over a bound is
// refused before any of it is written.
func openXLSX(r io.ReaderAt, size int64, lim Limits) (*XLSXReader, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "不是有效的 XLSX 文件（无法解压）/ not a valid XLSX file (not a zip archive): %v", err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[strings.TrimPrefix(f.Name, "/")] = f
	}
	sheetPath, sheetName, err := firstSheet(files)
	if err != nil {
		return nil, err
	}
	x := &XLSXReader{sheet: sheetName}
	budget := lim.MaxBytes
	if f := files["xl/sharedStrings.xml"]; f != nil {
		var used int64
		if x.shared, used, err = readShared(f, min(budget, maxSharedBytes), lim); err != nil {
			return nil, err
		}
		budget -= used
	}
	sf := files[sheetPath]
	if sf == nil {
		return nil, hub.Errorf(hub.EINVALID, "XLSX 文件缺少工作表 %s / the XLSX file has no worksheet %s", sheetPath, sheetPath)
	}
	if sf.UncompressedSize64 > uint64(budget) {
		// The header may lie; the reads below count for themselves.
		return nil, tooLarge(lim)
	}
	var rows int
	if x.merged, rows, err = scanSheet(sf, budget, lim); err != nil {
		return nil, err
	}
	if rows > lim.MaxRows {
		return nil, tooManyRows(lim)
	}
	body, err := sf.Open()
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "无法读取工作表 / cannot read the worksheet: %v", err)
	}
	x.body = body
	x.lim = lim
	x.counter = &countingReader{r: &limitedReader{r: body, left: budget}}
	x.total = int64(sf.UncompressedSize64)
	x.dec = xml.NewDecoder(x.counter)
	return x, nil
}

// Sheet names the worksheet read.
func (x *XLSXReader) Sheet() string { return x.sheet }

// Merged returns the merged ranges below the header row.
func (x *XLSXReader) Merged() []string { return x.merged }

type limitedReader struct {
	r    io.Reader
	left int64
}

var errTooLarge = errors.New("too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func readPart(f *zip.File, limit int64, v any) error {
	rc, err := f.Open()
	if err != nil {
		return hub.Errorf(hub.EINVALID, "无法读取 XLSX 部件 %s / cannot read XLSX part %s: %v", f.Name, f.Name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(&limitedReader{r: rc, left: limit}).Decode(v); err != nil {
		return hub.Errorf(hub.EINVALID, "XLSX 部件 %s 已损坏 / XLSX part %s is broken: %v", f.Name, f.Name, err)
	}
	return nil
}

// firstSheet finds the first worksheet of the workbook through
// workbook.xml and its relationships.
func firstSheet(files map[string]*zip.File) (string, string, error) {
	wb := files["xl/workbook.xml"]
	if wb == nil {
		return "", "", hub.Errorf(hub.EINVALID, "不是有效的 XLSX 文件（缺少 xl/workbook.xml）；旧的 .xls 请另存为 .xlsx / not a valid XLSX file (no xl/workbook.xml); save old .xls files as .xlsx")
	}
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := readPart(wb, maxMetaBytes, &book); err != nil {
		return "", "", err
	}
	if len(book.Sheets) == 0 {
		return "", "", hub.Errorf(hub.EINVALID, "XLSX 文件没有工作表 / the XLSX file has no worksheet")
	}
	first := book.Sheets[0]
	target := "xl/worksheets/sheet1.xml"
	if rels := files["xl/_rels/workbook.xml.rels"]; rels != nil {
		var rs struct {
			Rels []struct {
				ID     string `xml:"Id,attr"`
				Target string `xml:"Target,attr"`
			} `xml:"Relationship"`
		}
		if err := readPart(rels, maxMetaBytes, &rs); err != nil {
			return "", "", err
		}
		for _, r := range rs.Rels {
			if r.ID == first.RID {
				if strings.HasPrefix(r.Target, "/") {
					target = strings.TrimPrefix(r.Target, "/")
				} else {
					target = path.Join("xl", r.Target)
				}
			}
		}
	}
	return target, first.Name, nil
}

// readShared reads the shared-string table, of at most limit bytes
// unpacked, and returns it with the bytes it unpacked.
func readShared(f *zip.File, limit int64, lim Limits) ([]string, int64, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, 0, hub.Errorf(hub.EINVALID, "无法读取共享字符串 / cannot read the shared strings: %v", err)
	}
	defer rc.Close()
	counter := &countingReader{r: &limitedReader{r: rc, left: limit}}
	dec := xml.NewDecoder(counter)
	var out []string
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			return out, counter.n, nil
		}
		if errors.Is(err, errTooLarge) {
			return nil, 0, tooLarge(lim)
		}
		if err != nil {
			return nil, 0, hub.Errorf(hub.EINVALID, "XLSX 共享字符串已损坏 / the XLSX shared strings are broken: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "si" {
			s, err := richText(dec, se)
			if errors.Is(err, errTooLarge) {
				return nil, 0, tooLarge(lim)
			}
			if err != nil {
				return nil, 0, hub.Errorf(hub.EINVALID, "XLSX 共享字符串已损坏 / the XLSX shared strings are broken: %v", err)
			}
			if len(out) >= maxSharedCount {
				return nil, 0, hub.Errorf(hub.EINVALID, "XLSX 共享字符串过多（上限 %d）/ more than %d shared strings in the XLSX file", maxSharedCount, maxSharedCount)
			}
			out = append(out, s)
		}
	}
}

// richText collects the text of <t> elements under start, skipping
// phonetic runs (<rPh>), until start's end.
func richText(dec *xml.Decoder, start xml.StartElement) (string, error) {
	var b strings.Builder
	depth, inT, skip := 1, false, 0
	for depth > 0 {
		tok, err := dec.RawToken()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Local == "rPh" {
				skip++
			}
			inT = t.Name.Local == "t"
		case xml.EndElement:
			depth--
			if t.Name.Local == "rPh" {
				skip--
			}
			inT = false
		case xml.CharData:
			if inT && skip == 0 {
				if b.Len()+len(t) > maxCellBytes {
					return "", errCellTooLong
				}
				b.Write(t)
			}
		}
	}
	return b.String(), nil
}

var errCellTooLong = errors.New("a cell holds more than 32,767 characters")

// skip reads past the rest of the element whose start was just read.
func skip(dec *xml.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.RawToken()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

// text returns the character data of the element whose start was just
// read, up to its end.
func text(dec *xml.Decoder) (string, error) {
	var b strings.Builder
	for depth := 1; depth > 0; {
		tok, err := dec.RawToken()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 1 {
				if b.Len()+len(t) > maxCellBytes {
					return "", errCellTooLong
				}
				b.Write(t)
			}
		}
	}
	return b.String(), nil
}

// scanSheet scans the worksheet, of at most limit bytes unpacked, for
// merged ranges below the header row, and counts its rows. Merged ranges
// come after the cell data, so this is a pass of its own; a byte search
// (not an XML parse) keeps it at the cost of unzipping. It stops as soon
// as the rows are more than lim.MaxRows.
func scanSheet(f *zip.File, limit int64, lim Limits) ([]string, int, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, 0, hub.Errorf(hub.EINVALID, "无法读取工作表 / cannot read the worksheet: %v", err)
	}
	defer rc.Close()
	r := &limitedReader{r: rc, left: limit}
	var out []string
	rows := 0
	// carry holds the end of the previous chunk, so that a row tag cut in
	// two by a chunk boundary is counted once.
	var carry []byte
	buf := make([]byte, 0, 128<<10)
	chunk := make([]byte, 64<<10)
	for {
		n, err := r.Read(chunk)
		seen := len(carry)
		carry = append(carry, chunk[:n]...)
		rows += countRowTags(carry, seen)
		if rows > lim.MaxRows {
			return nil, rows, nil
		}
		carry = append(carry[:0], carry[max(0, len(carry)-rowTagContext):]...)
		buf = append(buf, chunk[:n]...)
		keep := 0
		for {
			i := bytes.Index(buf[keep:], mergeCellTag)
			if i < 0 {
				keep = max(keep, len(buf)-len(mergeCellTag))
				break
			}
			start := keep + i
			end := bytes.IndexByte(buf[start:], '>')
			if end < 0 {
				keep = start
				break
			}
			tag := buf[start : start+end]
			keep = start + end
			if next := tag[len(mergeCellTag):]; len(next) > 0 && next[0] == 's' {
				continue // <mergeCells count="…">
			}
			if m := mergeRef.FindSubmatch(tag); m != nil {
				if _, r2, ok := splitRange(string(m[1])); ok && r2 > 1 {
					out = append(out, string(m[1]))
				}
			}
		}
		if len(buf)-keep > 1<<20 {
			return nil, 0, hub.Errorf(hub.EINVALID, "XLSX 工作表已损坏（合并单元格标记过长）/ the XLSX worksheet is broken (merge tag too long)")
		}
		buf = append(buf[:0], buf[keep:]...)
		if errors.Is(err, io.EOF) {
			return out, rows, nil
		}
		if errors.Is(err, errTooLarge) {
			return nil, 0, tooLarge(lim)
		}
		if err != nil {
			return nil, 0, sheetError(err)
		}
	}
}

// rowTagLen is the length of the row start tags countRowTags looks for;
// rowTagContext how much of the previous chunk it sees again, to find the
// "<" of a prefixed tag.
const (
	rowTagLen     = len("<row ")
	rowTagContext = 32
)

// countRowTags counts the row start tags in b that end after from (those
// ending before were counted with the previous chunk): "<row" or
// "<prefix:row" followed by a blank, ">" or "/". A text cannot hold "<"
// (it is escaped), so only tags match.
func countRowTags(b []byte, from int) int {
	n := 0
	for i := max(0, from-rowTagLen+1); i+rowTagLen <= len(b); i++ {
		if b[i] != '<' && b[i] != ':' || b[i+1] != 'r' || b[i+2] != 'o' || b[i+3] != 'w' {
			continue
		}
		switch b[i+4] {
		case ' ', '\t', '\n', '\r', '>', '/':
		default:
			continue
		}
		if b[i] == ':' {
			// A prefixed name: its tag must start within the context, and
			// not be an end tag.
			start := max(0, i-rowTagContext+rowTagLen)
			j := bytes.LastIndexByte(b[start:i], '<')
			if j < 0 {
				continue
			}
			j += start
			if b[j+1] == '/' || bytes.ContainsAny(b[j+1:i], " \t\r\n>/") {
				continue
			}
		}
		n++
	}
	return n
}

var (
	mergeCellTag = []byte("mergeCell")
	mergeRef     = regexp.MustCompile(`\sref\s*=\s*["']([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)["']`)
)

func sheetError(err error) error {
	if errors.Is(err, errTooLarge) {
		return hub.Errorf(hub.EINVALID, "工作表解压后超过导入上限 / the worksheet unpacks to more than the import limit")
	}
	if errors.Is(err, errCellTooLong) {
		return hub.Errorf(hub.EINVALID, "单元格超过 32767 个字符 / a cell holds more than 32,767 characters")
	}
	return hub.Errorf(hub.EINVALID, "XLSX 工作表已损坏 / the XLSX worksheet is broken: %v", err)
}

// splitRange returns the first and last rows of a range such as "A2:C5".
func splitRange(ref string) (int, int, bool) {
	a, b, found := strings.Cut(ref, ":")
	if !found {
		b = a
	}
	_, r1, ok1 := cellRef(a)
	_, r2, ok2 := cellRef(b)
	return r1, r2, ok1 && ok2
}

// cellRef splits "BC12" into column index 54 and row 12.
func cellRef(ref string) (col, row int, ok bool) {
	i := 0
	for i < len(ref) && ref[i] >= 'A' && ref[i] <= 'Z' {
		col = col*26 + int(ref[i]-'A'+1)
		if col > maxColumnsOfRow {
			return 0, 0, false
		}
		i++
	}
	if i == 0 || i == len(ref) {
		return 0, 0, false
	}
	row, err := strconv.Atoi(ref[i:])
	if err != nil || row < 1 {
		return 0, 0, false
	}
	return col - 1, row, true
}

// Next returns the next row that has cells.
func (x *XLSXReader) Next() (*Row, error) {
	if x.finished {
		return nil, io.EOF
	}
	for {
		tok, err := x.dec.RawToken()
		if errors.Is(err, io.EOF) {
			x.finish()
			return nil, io.EOF
		}
		if errors.Is(err, errTooLarge) {
			x.finish()
			return nil, tooLarge(x.lim)
		}
		if err != nil {
			x.finish()
			return nil, sheetError(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		num := x.lastRow + 1
		for _, a := range se.Attr {
			if a.Name.Local == "r" {
				if n, err := strconv.Atoi(a.Value); err == nil && n > x.lastRow {
					num = n
				}
			}
		}
		x.lastRow = num
		row, err := x.readRow(num)
		if err != nil {
			x.finish()
			return nil, err
		}
		return row, nil
	}
}

func (x *XLSXReader) finish() {
	x.finished = true
	_ = x.body.Close()
}

// readRow reads the cells of <row> up to its end.
func (x *XLSXReader) readRow(num int) (*Row, error) {
	row := &Row{Num: num}
	next := 0
	for {
		tok, err := x.dec.RawToken()
		if err != nil {
			return nil, sheetError(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				return row, nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				if err := skip(x.dec); err != nil {
					return nil, sheetError(err)
				}
				continue
			}
			col, typ := next, ""
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "r":
					if c, _, ok := cellRef(a.Value); ok {
						col = c
					}
				case "t":
					typ = a.Value
				}
			}
			if col >= maxColumnsOfRow || col < len(row.Cells) {
				return nil, hub.Errorf(hub.EINVALID, "第 %d 行的单元格顺序无效 / row %d: cells out of order", num, num)
			}
			next = col + 1
			val, problem, err := x.readCell(t, typ)
			if err != nil {
				return nil, err
			}
			for len(row.Cells) < col {
				row.Cells = append(row.Cells, "")
			}
			row.Cells = append(row.Cells, val)
			if problem != nil {
				if row.Problems == nil {
					row.Problems = map[int]error{}
				}
				row.Problems[col] = problem
			}
		}
	}
}

// readCell reads one <c> element: its cached value <v> or inline string
// <is>, and whether it holds a formula <f>. It returns the cell's text,
// a problem of that cell (a conflict for its row) and an error that stops
// the file.
func (x *XLSXReader) readCell(start xml.StartElement, typ string) (string, error, error) {
	var v, inline string
	hasV, hasF := false, false
	for {
		tok, err := x.dec.RawToken()
		if err != nil {
			return "", nil, sheetError(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == start.Name.Local {
				return x.cellValue(typ, v, inline, hasV, hasF)
			}
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				s, err := text(x.dec)
				if err != nil {
					return "", nil, sheetError(err)
				}
				v, hasV = s, true
			case "f":
				hasF = true
				if err := skip(x.dec); err != nil {
					return "", nil, sheetError(err)
				}
			case "is":
				s, err := richText(x.dec, t)
				if err != nil {
					return "", nil, sheetError(err)
				}
				inline = s
			default:
				if err := skip(x.dec); err != nil {
					return "", nil, sheetError(err)
				}
			}
		}
	}
}

func (x *XLSXReader) cellValue(typ, v, inline string, hasV, hasF bool) (string, error, error) {
	if hasF && !hasV {
		return "", hub.Errorf(hub.EINVALID, "单元格是公式但没有计算结果：请在 Excel 中打开并保存，或粘贴为数值 / the cell holds a formula without a cached result: open and save the file in Excel, or paste values"), nil
	}
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(x.shared) {
			return "", hub.Errorf(hub.EINVALID, "单元格指向不存在的共享字符串 / the cell points to a shared string that does not exist"), nil
		}
		return x.shared[i], nil, nil
	case "inlineStr":
		return inline, nil, nil
	case "b":
		if v == "1" {
			return "TRUE", nil, nil
		}
		return "FALSE", nil, nil
	case "e":
		return "", hub.Errorf(hub.EINVALID, "单元格是错误值 %s / the cell holds the error %s", v, v), nil
	}
	return v, nil, nil
}

// Progress returns the bytes of the worksheet decoded so far, of its size.
func (x *XLSXReader) Progress() (int64, int64) { return x.counter.n, x.total }

// String describes the reader for messages.
func (x *XLSXReader) String() string { return fmt.Sprintf("XLSX sheet %q", x.sheet) }
