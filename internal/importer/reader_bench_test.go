package importer_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/importer"
)

// readerRows is the size of the reader benchmarks' files.
const readerRows = 100_000

func benchCSV() []byte {
	var b bytes.Buffer
	b.WriteString("指标代码,地区代码,期间,数值,限定,备注\n")
	for i := range readerRows {
		fmt.Fprintf(&b, "minors_total,370702%03d,%d,%d,约,第 %d 行\n", i%200, 1990+i%100, i, i)
	}
	return b.Bytes()
}

func benchXLSX(b *testing.B) []byte {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	_ = sw.SetRow("A1", []any{"指标代码", "地区代码", "期间", "数值", "限定", "备注"})
	for i := range readerRows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = sw.SetRow(cell, []any{"minors_total", fmt.Sprintf("370702%03d", i%200), fmt.Sprint(1990 + i%100), i, "约", fmt.Sprintf("第 %d 行", i)})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// drain reads every row and reports rows/s and the largest heap seen
// while reading (sampled every 10,000 rows).
func drain(b *testing.B, open func() (importer.RowReader, error)) {
	var peak uint64
	for range b.N {
		rr, err := open()
		if err != nil {
			b.Fatal(err)
		}
		for n := 0; ; n++ {
			_, err := rr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if n%10_000 == 0 {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}
	b.ReportMetric(float64(readerRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
}

// BenchmarkReadCSV and BenchmarkReadXLSX read 100,000 rows without a
// database: the readers' own speed and memory.
//
//	go test ./internal/importer -run '^$' -bench 'Read(CSV|XLSX)' -benchtime 3x
func BenchmarkReadCSV(b *testing.B) {
	data := benchCSV()
	b.SetBytes(int64(len(data)))
	runtime.GC()
	b.ResetTimer()
	drain(b, func() (importer.RowReader, error) {
		return importer.NewCSVReader(bytes.NewReader(data), int64(len(data)))
	})
}

func BenchmarkReadXLSX(b *testing.B) {
	data := benchXLSX(b)
	b.SetBytes(int64(len(data)))
	runtime.GC()
	b.ResetTimer()
	drain(b, func() (importer.RowReader, error) {
		return importer.NewXLSXReader(bytes.NewReader(data), int64(len(data)))
	})
}
