package importer

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// readAll reads every row of rr the way an import does, without a
// database: the header, then each row's cells. It must never panic, and
// row numbers must grow.
func readAll(t *testing.T, rr RowReader) {
	sum := &Summary{}
	var lay *layout
	last := 0
	for n := 0; n < 10000; n++ {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			return // a file-level error with a message: fine
		}
		if row.Num <= last {
			t.Fatalf("row number %d after %d", row.Num, last)
		}
		last = row.Num
		if lay == nil {
			if lay, err = readHeader(row.Cells); err != nil {
				return
			}
			continue
		}
		parseRow(row, lay, sum)
	}
}

var csvSeeds = []string{
	"指标代码,地区代码,期间,数值,限定,预期版本,备注\nminors_total,370702,2022,1080,至少,1,备注\n",
	"\uFEFFindicator,region,period,value\nminors_total,370702,2022,\"1,080\"\n\n,,,\n",
	"indicator\tregion\tperiod\tvalue\nminors_total\t370702\t2022Q1\t未报告\n",
	"\xd6\xb8\xb1\xea\xb4\xfa\xc2\xeb,\xb5\xd8\xc7\xf8\xb4\xfa\xc2\xeb,\xc6\xda\xbc\xe4,\xca\xfd\xd6\xb5\nx,1,2022,1\n",
	"\xff\xfei\x00n\x00d\x00i\x00c\x00a\x00t\x00o\x00r\x00\n\x00",
	"indicator,region,period,value\n\"unterminated,1,2,3\n",
	"a,b,c\n1,2,3\n",
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range csvSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := NewCSVReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		readAll(t, rr)
	})
}

func FuzzReadXLSX(f *testing.F) {
	for _, sheet := range xlsxSeedSheets {
		f.Add(buildXLSX(sheet))
	}
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := NewXLSXReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		readAll(t, rr)
	})
}
