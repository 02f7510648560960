package hub

import (
	"strings"
	"testing"
)

func TestCheckPassword(t *testing.T) {
	for _, c := range []struct {
		name, pw string
		ok       bool
	}{
		{"alice", "123456789", false},
		{"alice", "1234567890", true},
		{"alice", "密码密码密码密码密码", true}, // ten characters, 30 bytes
		{"administrator", "Administrator", false},
		{"administrator", " administrator ", false},
		{"bob", strings.Repeat("x", 73), false},
	} {
		err := CheckPassword(c.name, c.pw)
		if (err == nil) != c.ok || err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("CheckPassword(%q, %q) = %v, want ok %v", c.name, c.pw, err, c.ok)
		}
	}
}
