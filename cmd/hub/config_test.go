package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// A bad small-cell threshold stops serve before it starts, with a usage
// error naming the setting, never a silent default.
func TestServe_RefusesABadSuppressionThreshold(t *testing.T) {
	for _, v := range []string{"0", "-3", "five"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve", "--suppress-below", v, "--database-url", "postgres://nowhere.invalid/x"}, &out, &out)
		var ue usageError
		if !errors.As(err, &ue) || !bytes.Contains([]byte(ue.msg), []byte("--suppress-below")) {
			t.Errorf("--suppress-below %s: %v", v, err)
		}
	}
}

// A bad pool size stops serve before it connects, naming the setting; so
// does --scale with an unknown value for demo.
func TestServe_RefusesABadPoolSize(t *testing.T) {
	for _, v := range []string{"0", "-1", "many", "100000"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve", "--db-max-conns", v, "--database-url", "postgres://nowhere.invalid/x"}, &out, &out)
		var ue usageError
		if !errors.As(err, &ue) || !bytes.Contains([]byte(ue.msg), []byte("--db-max-conns")) {
			t.Errorf("--db-max-conns %s: %v", v, err)
		}
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"demo", "--scale", "country", "--database-url", "postgres://nowhere.invalid/x"}, &out, &out)
	var ue usageError
	if !errors.As(err, &ue) || !bytes.Contains([]byte(ue.msg), []byte("--scale")) {
		t.Errorf("--scale country: %v", err)
	}
}
