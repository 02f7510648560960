package graph

import (
	"bytes"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/sixprot/hub/internal/hub"
)

// Cursors are opaque to clients: the base64 of the value's key. A forged
// cursor can only move the page's start; what is visible is decided by the
// access policies, not by the cursor.

func encodeCursor(k hub.ValueKey) string {
	return base64.RawURLEncoding.EncodeToString([]byte(k.Indicator + "/" + k.Period + "/" + k.Region))
}

func decodeCursor(s string) (*hub.ValueKey, error) {
	bad := hub.Errorf(hub.EINVALID, "无效的分页游标 / invalid cursor %q", s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	// Keys are text: bytes that are not UTF-8 (or hold NUL, which
	// PostgreSQL text cannot) are no cursor this hub made.
	if !utf8.Valid(raw) || bytes.IndexByte(raw, 0) >= 0 {
		return nil, bad
	}
	parts := strings.Split(string(raw), "/")
	if len(parts) != 3 {
		return nil, bad
	}
	return &hub.ValueKey{Indicator: parts[0], Period: parts[1], Region: parts[2]}, nil
}
