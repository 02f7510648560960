package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// zipBomb returns an XLSX file whose worksheet is the template's header
// row and then row, repeated until the sheet unpacks to about inflated
// bytes: a small zip (deflate packs repeats ~1000:1).
func zipBomb(t testing.TB, row string, inflated int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for name, body := range map[string]string{
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`,
	} {
		w, _ := zw.Create(name)
		_, _ = io.WriteString(w, body)
	}
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	header := `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row>` +
		`<c t="inlineStr"><is><t>indicator</t></is></c><c t="inlineStr"><is><t>region</t></is></c>` +
		`<c t="inlineStr"><is><t>period</t></is></c><c t="inlineStr"><is><t>value</t></is></c></row>`
	_, _ = io.WriteString(w, header)
	block := []byte(strings.Repeat(row, max(1, (1<<20)/len(row))))
	for n := 0; n < inflated; n += len(block) {
		_, _ = w.Write(block)
	}
	_, _ = io.WriteString(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lieAboutSize patches the zip's central directory to say the worksheet
// unpacks to 1,000 bytes.
func lieAboutSize(t testing.TB, data []byte) []byte {
	out := bytes.Clone(data)
	name := []byte("xl/worksheets/sheet1.xml")
	for i := 0; i+46 < len(out); i++ {
		if bytes.Equal(out[i:i+4], []byte{0x50, 0x4b, 0x01, 0x02}) && bytes.Equal(out[i+46:min(len(out), i+46+len(name))], name) {
			binary.LittleEndian.PutUint32(out[i+24:], 1000)
			return out
		}
	}
	t.Fatal("no central directory entry for the sheet")
	return nil
}

// neverCalled is a bulk service that fails the test when a file gets as far
// as the database.
type neverCalled struct{ t testing.TB }

func (n neverCalled) SubmitBulk(context.Context, bool, func(hub.BatchWriter) error) (bool, error) {
	n.t.Error("a file over the import limits reached the database")
	return false, hub.Errorf(hub.EINTERNAL, "not expected")
}

// peakHeap runs fn and returns the largest heap in use seen while it ran
// (sampled every millisecond), above the heap in use before.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// TestImport_ZipBombsAreRefusedWithBoundedMemory: an XLSX file that is
// small on the wire but unpacks past the import limits, by its rows (the
// probe's 400 KB file of 265 MiB of rows) or by its bytes (few rows, long
// cells), is refused BAD_USER_INPUT before any row reaches the database,
// with a heap far below what it unpacks to.
func TestImport_ZipBombsAreRefusedWithBoundedMemory(t *testing.T) {
	row := `<row><c t="inlineStr"><is><t>minors_total</t></is></c><c><v>370702</v></c><c><v>2022</v></c><c><v>1</v></c></row>`
	probe := zipBomb(t, row, 265<<20)
	rowBomb := zipBomb(t, row, 64<<20)
	longCell := `<row><c t="inlineStr"><is><t>minors_total</t></is></c><c><v>370702</v></c><c><v>2022</v></c><c t="inlineStr"><is><t>` +
		strings.Repeat("9", 100_000) + `</t></is></c></row>`
	byteBomb := zipBomb(t, longCell, 300<<20)
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"probe's 265 MiB of rows":      {probe, "MiB"},
		"rows (64 MiB of them)":        {rowBomb, "行"},
		"bytes (long cells)":           {byteBomb, "MiB"},
		"bytes, the zip's sizes lying": {lieAboutSize(t, byteBomb), ""},
	} {
		im := &Importer{Submit: neverCalled{t}}
		var err error
		start := time.Now()
		heap := peakHeap(func() {
			_, err = im.Import(limitsAnalyst(), "bomb.xlsx", bytes.NewReader(c.data), int64(len(c.data)), Options{DryRun: true})
		})
		took := time.Since(start)
		t.Logf("%s bomb: %d KiB zipped, refused in %v, peak heap +%.1f MiB: %v", name, len(c.data)>>10, took, float64(heap)/(1<<20), err)
		if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s bomb: %v", name, err)
		}
		if heap > 32<<20 {
			t.Errorf("%s bomb: peak heap +%d MiB", name, heap>>20)
		}
	}
}

// TestImport_LimitsAreConfigurableAndCoverCSV: smaller limits refuse what
// the defaults let through, for CSV by size and lines as for XLSX.
func TestImport_LimitsAreConfigurableAndCoverCSV(t *testing.T) {
	csv := "indicator,region,period,value\n" + strings.Repeat("minors_total,370702,2022,1\n", 100)
	small := Limits{MaxRows: 50, MaxBytes: 1 << 20}
	im := &Importer{Submit: neverCalled{t}, Limits: small}
	if _, err := im.Import(limitsAnalyst(), "v.csv", strings.NewReader(csv), int64(len(csv)), Options{DryRun: true}); hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), "50") {
		t.Errorf("101 lines with MaxRows 50: %v", err)
	}
	im.Limits = Limits{MaxRows: 1000, MaxBytes: 1000}
	if _, err := im.Import(limitsAnalyst(), "v.csv", strings.NewReader(csv), int64(len(csv)), Options{DryRun: true}); hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), "1000 bytes") {
		t.Errorf("%d bytes with MaxBytes 1000: %v", len(csv), err)
	}
	x := zipBomb(t, `<row><c t="inlineStr"><is><t>minors_total</t></is></c><c><v>370702</v></c><c><v>2022</v></c><c><v>1</v></c></row>`, 1<<20)
	im.Limits = Limits{MaxRows: 1000, MaxBytes: 64 << 20}
	if _, err := im.Import(limitsAnalyst(), "v.xlsx", bytes.NewReader(x), int64(len(x)), Options{DryRun: true}); hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), "1000") {
		t.Errorf("an XLSX sheet of ~10,000 rows with MaxRows 1000: %v", err)
	}
	im.Limits = Limits{MaxRows: 1 << 20, MaxBytes: 512 << 10}
	if _, err := im.Import(limitsAnalyst(), "v.xlsx", bytes.NewReader(x), int64(len(x)), Options{DryRun: true}); hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), "524288 bytes") {
		t.Errorf("an XLSX sheet of 1 MiB with MaxBytes 512 KiB: %v", err)
	}
}

// TestCountRowTags_CountsTagsCutByChunks: the row count of the first pass
// does not depend on where the reads split the sheet.
func TestCountRowTags_CountsTagsCutByChunks(t *testing.T) {
	for pad := 65520; pad < 65540; pad++ {
		sheet := `<sheetData><row r="1"><c t="inlineStr"><is><t>` + strings.Repeat("x", pad) + `</t></is></c></row><row r="2"/><x:row>` +
			`</x:row><rowBreaks/></sheetData>`
		data := buildXLSX(sheet)
		zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		for _, f := range zr.File {
			if f.Name != "xl/worksheets/sheet1.xml" {
				continue
			}
			_, rows, err := scanSheet(f, 1<<20, DefaultLimits)
			if err != nil || rows != 3 {
				t.Fatalf("pad %d: %d rows, %v; want 3", pad, rows, err)
			}
		}
	}
}

// limitsAnalyst is a principal who may import: the bounds are checked for
// those who get as far as reading the file.
func limitsAnalyst() context.Context {
	dept := "civil_affairs"
	return hub.NewContext(context.Background(), &hub.Principal{Name: "t-analyst", Role: hub.Analyst, Department: &dept,
		Region: "370700", RegionPath: "370700"})
}
