// Package browsertest starts headless Chromium for the browser tests
// (chromedp), with the flags this workplace's closed network needs.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium starts Debian's chromium with a fresh profile and a window of
// width × height, for at most timeout; the browser stops when the test
// ends. Without chromium the test is skipped, except under CI=true, where
// it fails (.ci/run installs chromium and fonts-noto-cjk).
func Chromium(t testing.TB, width, height int, timeout time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is required under CI=true: %v", err)
		}
		t.Skip("no chromium installed (apt-get install chromium fonts-noto-cjk)")
	}
	// Without the background-networking flags Chromium's own connections
	// are refused by the closed network, many at a time.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.NoFirstRun,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return tctx
}
