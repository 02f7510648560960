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
