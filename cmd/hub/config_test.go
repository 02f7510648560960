package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
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

// --help prints a command's flags and stops: it never goes on to serve or
// load anything.
func TestHelp_StopsTheCommand(t *testing.T) {
	for _, cmd := range []string{"serve", "demo", "migrate", "import"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{cmd, "--help", "--database-url", "postgres://nowhere.invalid/x"}, &out, &out)
		if !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s --help: %v, want it to stop after the flags", cmd, err)
		}
		if !bytes.Contains(out.Bytes(), []byte("-database-url")) {
			t.Errorf("%s --help printed no flags:\n%s", cmd, out.String())
		}
	}
}

// Bad login back-off settings or trusted proxies stop serve before it
// starts, naming the setting.
func TestServe_RefusesBadLoginBackoffAndTrustedProxies(t *testing.T) {
	for _, args := range [][]string{
		{"--login-max-failures", "0"}, {"--login-failure-window", "0s"}, {"--login-backoff", "-1s"},
		{"--trusted-proxies", "10.0.0.0/8,proxy.example"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"serve", "--database-url", "postgres://nowhere.invalid/x"}, args...), &out, &out)
		var ue usageError
		if !errors.As(err, &ue) && !bytes.Contains(out.Bytes(), []byte(args[0])) {
			t.Errorf("%v: %v", args, err)
		}
	}
	got, err := parsePrefixes(" 10.0.0.0/8, 192.0.2.1 ,::ffff:198.51.100.1")
	if err != nil || len(got) != 3 || got[1].String() != "192.0.2.1/32" || got[2].String() != "198.51.100.1/32" {
		t.Errorf("parsePrefixes: %v, %v", got, err)
	}
}

// A trusted documents manifest that is missing, malformed or made for
// another schema stops serve before it connects, naming the setting and
// the reason.
func TestServe_RefusesABadTrustedDocumentsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for file, want := range map[string]string{
		filepath.Join(dir, "missing.json"):                           "no such file",
		write("list.json", `["query Me { me { name } }"]`):           "not a JSON object",
		write("other.json", `{"a": "query Me { me { shoeSize } }"}`): "shoeSize",
	} {
		var out bytes.Buffer
		err := run(context.Background(), []string{"serve", "--trusted-documents", file, "--database-url", "postgres://nowhere.invalid/x"}, &out, &out)
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(ue.msg, "--trusted-documents") || !strings.Contains(ue.msg, want) {
			t.Errorf("%s: want a usage error with %q, got %v", filepath.Base(file), want, err)
		}
	}
}

func TestBaseURL_PortAloneIsLocalhostAHostIsKept(t *testing.T) {
	for addr, want := range map[string]string{":8080": "http://localhost:8080", "127.0.0.1:18018": "http://127.0.0.1:18018", "[::1]:9000": "http://[::1]:9000"} {
		if got := baseURL(addr); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
