package server

import (
	"testing"
	"time"
)

// The media office reads embargo times in Beijing time, with the zone
// named: 2023-03-01 02:00 UTC is 10:00 in Asia/Shanghai.
func TestShanghaiTime_NamesTheZone(t *testing.T) {
	got := shanghaiTime(time.Date(2023, 3, 1, 2, 0, 0, 0, time.UTC))
	if want := "2023-03-01 10:00 北京时间 (UTC+08:00 Asia/Shanghai)"; got != want {
		t.Errorf("shanghaiTime = %q, want %q", got, want)
	}
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		for _, ts := range []time.Time{time.Date(2023, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)} {
			if a, b := ts.In(loc).Format("2006-01-02 15:04"), ts.In(shanghaiZone).Format("2006-01-02 15:04"); a != b {
				t.Errorf("fixed zone %s differs from the tz database's %s", b, a)
			}
		}
	}
}
