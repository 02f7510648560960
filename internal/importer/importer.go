// Package importer reads spreadsheets (CSV and XLSX in the columns of the
// department template) and writes their values through the hub's bulk
// submit service, as a stream: rows are read, checked and written in
// batches, so a file of any length needs memory for one batch only.
//
// A file is all or nothing: every batch of a file runs in one database
// transaction, which commits only when no row of the file had a conflict.
// After the first conflict the rest of the file is still read and checked
// (every conflict is reported, by row and column) but nothing more is
// written, and the transaction rolls back. A dry run does the same and
// always rolls back.
package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// DefaultBatchSize is how many rows go to the database at once.
const DefaultBatchSize = 2000

// MaxListedConflicts bounds the conflicts a summary lists; the rest are counted.
const MaxListedConflicts = 1000

// Limits bound what one file may hold. A file over a bound is refused as a
// whole with EINVALID, before any of its rows is written: an XLSX file's
// unpacked size and rows are counted in the pass that looks for merged
// cells, a CSV file's size and lines before it is read.
type Limits struct {
	// MaxRows is the most rows (lines) of a file, the header included.
	MaxRows int
	// MaxBytes is the most bytes a file may unpack to: an XLSX file's
	// worksheet and shared strings unpacked, a CSV file's size.
	MaxBytes int64
}

// DefaultLimits are the import limits unless configured (hub's
// --import-max-rows and --import-max-bytes): 200,000 rows (twice the
// benchmark import), 128 MiB (an XLSX sheet of 200,000 template rows
// unpacks to about 90 MiB, a CSV of them is about 7 MiB).
var DefaultLimits = Limits{MaxRows: 200_000, MaxBytes: 128 << 20}

// orDefault fills unset limits with DefaultLimits.
func (l Limits) orDefault() Limits {
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	return l
}

func tooLarge(lim Limits) error {
	zh, en := fmt.Sprintf("%d 字节", lim.MaxBytes), fmt.Sprintf("%d bytes", lim.MaxBytes)
	if lim.MaxBytes >= 1<<20 {
		zh, en = fmt.Sprintf("%d MiB", lim.MaxBytes>>20), fmt.Sprintf("%d MiB", lim.MaxBytes>>20)
	}
	return hub.Errorf(hub.EINVALID, "文件解压后超过 %s 的导入上限：请拆分文件 / the file unpacks to more than the import limit of %s: split it", zh, en)
}

func tooManyRows(lim Limits) error {
	return hub.Errorf(hub.EINVALID, "文件超过 %d 行的导入上限：请拆分文件 / the file has more than the import limit of %d rows: split it",
		lim.MaxRows, lim.MaxRows)
}

// Importer imports files through a bulk submit service.
type Importer struct {
	Submit hub.BulkSubmitService
	// BatchSize defaults to DefaultBatchSize.
	BatchSize int
	// Limits default to DefaultLimits (field by field).
	Limits Limits
}

// Options change one import.
type Options struct {
	DryRun bool
	// Progress, when set, is called after every batch with the data rows
	// read so far and how much of the file that is (done of total).
	Progress func(rows int, done, total int64)
}

// Status says what became of an import.
type Status string

// Import outcomes.
const (
	// Committed: every row was written (or was unchanged or ignored).
	Committed Status = "COMMITTED"
	// DryRun: checked, nothing written.
	DryRun Status = "DRY_RUN"
	// Rejected: some row had a conflict, nothing was written.
	Rejected Status = "REJECTED"
)

// Summary tells what an import did, like DHIS2's import summary: counts
// of created, updated, unchanged and ignored rows and the conflicts by row
// and column. On a dry run the counts say what the import would do; when
// an import is rejected nothing was created or updated.
type Summary struct {
	File      string
	Format    string
	Encoding  string
	Status    Status
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	// Ignored counts empty rows and rows without a value.
	Ignored int
	// Conflicts lists at most MaxListedConflicts conflicts, in row order,
	// by Row and Column; ConflictCount counts them all.
	Conflicts     []hub.Conflict
	ConflictCount int
	// Warnings are the WARN validation rules the file's values violate
	// (at most MaxListedConflicts).
	Warnings []*hub.ValidationFinding
}

func (s *Summary) addConflict(c hub.Conflict) {
	s.ConflictCount++
	if len(s.Conflicts) < MaxListedConflicts {
		s.Conflicts = append(s.Conflicts, c)
	}
}

// Open returns a row reader for the file name in r (size bytes): XLSX
// when the file is a zip archive, else CSV; a file over lim is refused.
func Open(name string, r io.ReaderAt, size int64, lim Limits) (RowReader, error) {
	lim = lim.orDefault()
	var magic [4]byte
	n, _ := r.ReadAt(magic[:], 0)
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case n == 4 && bytes.Equal(magic[:], []byte("PK\x03\x04")):
		return openXLSX(r, size, lim)
	case ext == ".xls" || n >= 4 && bytes.Equal(magic[:], []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, hub.Errorf(hub.EINVALID, "不支持旧的 .xls 格式，请另存为 .xlsx 或 CSV / old .xls files are not supported: save as .xlsx or CSV")
	case ext == ".xlsx":
		return nil, hub.Errorf(hub.EINVALID, "%s 不是有效的 XLSX 文件 / %s is not a valid XLSX file", name, name)
	}
	if size > lim.MaxBytes {
		return nil, tooLarge(lim)
	}
	if lines, err := countLines(r, size, lim.MaxRows); err != nil {
		return nil, err
	} else if lines > lim.MaxRows {
		return nil, tooManyRows(lim)
	}
	return NewCSVReader(io.NewSectionReader(r, 0, size), size)
}

// countLines counts the lines of r (size bytes), stopping above max. A
// quoted cell may span lines: lines are at least the rows.
func countLines(r io.ReaderAt, size int64, max int) (int, error) {
	buf := make([]byte, 64<<10)
	lines, last := 0, byte('\n')
	for off := int64(0); off < size; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		lines += bytes.Count(buf[:n], []byte{'\n'})
		if n > 0 {
			last = buf[n-1]
		}
		if lines > max {
			return lines, nil
		}
		off += int64(n)
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, hub.Errorf(hub.EINVALID, "无法读取文件 / cannot read the file: %v", err)
		}
		if n == 0 {
			break
		}
	}
	if last != '\n' {
		lines++ // a last line without a newline
	}
	return lines, nil
}

// Channel returns the audit channel of an import of the named file: IMPORT
// and the file's base name.
func Channel(name string) string { return hub.ImportChannel(filepath.Base(name)) }

// Import reads the file name from r and writes its values as the
// principal of ctx. Errors are for files that cannot be read at all
// (wrong columns, not a spreadsheet) and for failures of the database;
// problems of single rows are conflicts in the summary.
func (im *Importer) Import(ctx context.Context, name string, r io.ReaderAt, size int64, opts Options) (*Summary, error) {
	// Who may not enter values learns so before the file is read at all.
	if err := access.EntryBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return nil, err
	}
	rr, err := Open(name, r, size, im.Limits)
	if err != nil {
		return nil, err
	}
	sum := &Summary{File: filepath.Base(name), Format: "CSV", Conflicts: []hub.Conflict{}, Warnings: []*hub.ValidationFinding{}}
	switch t := rr.(type) {
	case *CSVReader:
		sum.Encoding = t.Encoding()
	case *XLSXReader:
		sum.Format = "XLSX"
	}
	return im.ImportRows(hub.NewChannelContext(ctx, Channel(name)), rr, sum, opts)
}

// ImportReader is Import for a reader that may not be addressable (an
// upload): it is read into memory first unless it is an io.ReaderAt.
func (im *Importer) ImportReader(ctx context.Context, name string, r io.Reader, size int64, opts Options) (*Summary, error) {
	if err := access.EntryBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return nil, err
	}
	ra, ok := r.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, hub.Errorf(hub.EINVALID, "无法读取上传的文件 / cannot read the uploaded file: %v", err)
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	return im.Import(ctx, name, ra, size, opts)
}

// ImportRows imports the rows of rr into sum. Rows beyond im.Limits.MaxRows
// end the import with an error (nothing is written); readers opened by
// Open have refused such files already.
func (im *Importer) ImportRows(ctx context.Context, rr RowReader, sum *Summary, opts Options) (*Summary, error) {
	lim := im.Limits.orDefault()
	size := im.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	hdr, err := rr.Next()
	if errors.Is(err, io.EOF) {
		return nil, hub.Errorf(hub.EINVALID, "文件是空的 / the file is empty")
	}
	if err != nil {
		return nil, err
	}
	lay, err := readHeader(hdr.Cells)
	if err != nil {
		return nil, err
	}
	if x, ok := rr.(*XLSXReader); ok && len(x.Merged()) > 0 {
		_, first, _ := splitRange(x.Merged()[0])
		return nil, hub.Errorf(hub.EINVALID, "第 %d 行：工作表有合并单元格（%s），合并后只有一个单元格有值；请取消合并并填满每一行 / row %d: the sheet has merged cells (%s); only one cell of a merged range holds the value: unmerge and fill every row",
			first, strings.Join(x.Merged(), ", "), first, strings.Join(x.Merged(), ", "))
	}
	// The pipeline numbers the file's inputs by row (hub.BatchWriter's at).
	seen := map[hub.ValueKey]int{}
	batch := make([]hub.ValueInput, 0, size)
	rows := make([]int, 0, size)
	committed, err := im.Submit.SubmitBulk(ctx, opts.DryRun, func(w hub.BatchWriter) error {
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			res, err := w.Write(ctx, batch, rows)
			if err != nil {
				return err
			}
			sum.Created += res.Created
			sum.Updated += res.Updated
			sum.Unchanged += res.Unchanged
			for _, c := range res.Conflicts {
				sum.addConflict(lay.atRow(c))
			}
			batch, rows = batch[:0], rows[:0]
			if opts.Progress != nil {
				done, total := rr.Progress()
				opts.Progress(sum.Rows, done, total)
			}
			return nil
		}
		for {
			row, err := rr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			sum.Rows += 1 + row.Skipped
			sum.Ignored += row.Skipped
			if sum.Rows+1 > lim.MaxRows {
				return tooManyRows(lim)
			}
			in, ok := parseRow(row, lay, sum)
			if !ok {
				continue
			}
			k := hub.ValueKey{Indicator: in.Indicator, Period: in.Period, Region: in.Region}
			if first, dup := seen[k]; dup {
				sum.addConflict(lay.conflict(row.Num, hub.FieldIndicator, hub.Errorf(hub.EINVALID,
					"与第 %d 行重复（同一指标、地区、期间）/ duplicates row %d (same indicator, region and period)", first, first)))
				continue
			}
			seen[k] = row.Num
			batch, rows = append(batch, in), append(rows, row.Num)
			if len(batch) == size {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if sum.ConflictCount == 0 {
			res, err := w.Validate(ctx)
			if err != nil {
				return err
			}
			for _, c := range res.Conflicts {
				sum.addConflict(lay.atRow(c))
			}
			sum.Warnings = append(sum.Warnings, res.Warnings[:min(len(res.Warnings), MaxListedConflicts)]...)
		}
		if sum.ConflictCount > 0 {
			// Conflicts found while parsing: the service has not seen them.
			return errConflicts
		}
		return nil
	})
	if err != nil && !errors.Is(err, errConflicts) {
		return nil, err
	}
	switch {
	case sum.ConflictCount > 0:
		sum.Status, sum.Created, sum.Updated = Rejected, 0, 0
		sortConflicts(sum.Conflicts)
	case opts.DryRun:
		sum.Status = DryRun
	case committed:
		sum.Status = Committed
	default:
		return nil, fmt.Errorf("import %s: not committed without a conflict", sum.File)
	}
	return sum, nil
}

var errConflicts = errors.New("conflicts")

// parseRow turns a row into an input, or records why it cannot be one.
func parseRow(row *Row, lay *layout, sum *Summary) (hub.ValueInput, bool) {
	var in hub.ValueInput
	if blank(row.Cells) && len(row.Problems) == 0 {
		sum.Ignored++
		return in, false
	}
	ok := true
	for col, p := range row.Problems {
		f := fieldAt(lay, col)
		if f == "" {
			continue // a column the import does not read
		}
		sum.addConflict(lay.conflict(row.Num, f, p))
		ok = false
	}
	if !ok {
		return in, false
	}
	valueCell := lay.cell(row.Cells, hub.FieldValue)
	if valueCell == "" {
		// Nothing entered: a template row left empty.
		sum.Ignored++
		return in, false
	}
	conflict := func(f hub.ValueField, err error) {
		sum.addConflict(lay.conflict(row.Num, f, err))
		ok = false
	}
	in.Indicator = lay.cell(row.Cells, hub.FieldIndicator)
	in.Region = lay.cell(row.Cells, hub.FieldRegion)
	in.Period = lay.cell(row.Cells, hub.FieldPeriod)
	for _, req := range []struct {
		f hub.ValueField
		v string
	}{{hub.FieldIndicator, in.Indicator}, {hub.FieldRegion, in.Region}, {hub.FieldPeriod, in.Period}} {
		if req.v == "" {
			conflict(req.f, hub.Errorf(hub.EINVALID, "此列不能为空 / this column must not be empty"))
		}
	}
	var err error
	if in.Value, err = parseValue(valueCell); err != nil {
		conflict(hub.FieldValue, err)
	}
	in.Qualifier = qualifierOf(lay.cell(row.Cells, hub.FieldQualifier))
	if in.ExpectedVersion, err = parseVersion(lay.cell(row.Cells, hub.FieldVersion)); err != nil {
		conflict(hub.FieldVersion, err)
	}
	if c := lay.cell(row.Cells, hub.FieldComment); c != "" {
		in.Comment = &c
	}
	return in, ok
}

func fieldAt(lay *layout, col int) hub.ValueField {
	for f, i := range lay.index {
		if i == col {
			return f
		}
	}
	return ""
}

func sortConflicts(cs []hub.Conflict) {
	// Parse conflicts are found before the batch of their row is written,
	// so the list is nearly sorted: an insertion sort is enough.
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].Row < cs[j-1].Row; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}
