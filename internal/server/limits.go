package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// Codes of the HTTP-level limits, in the same errors[].extensions.code
// place as GraphQL's own.
const (
	codeTooLarge    = "REQUEST_TOO_LARGE"
	codeRateLimited = "RATE_LIMITED"
)

func writeGraphQLError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{
		"message": msg, "extensions": map[string]string{"code": code}}}})
}

// limitBody reads the request body up to max bytes before next sees it.
// A larger body is refused with 413 and a JSON error, never a decoding
// error or a 500 from deeper down.
func limitBody(max int64, next http.Handler) http.Handler {
	tooLarge := func(w http.ResponseWriter) {
		writeGraphQLError(w, http.StatusRequestEntityTooLarge, codeTooLarge,
			fmt.Sprintf("请求体过大（上限 %d 字节）/ the request body is larger than %d bytes", max, max))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			tooLarge(w)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge(w)
			return
		case err != nil:
			writeGraphQLError(w, http.StatusBadRequest, hub.EINVALID, "无法读取请求体 / cannot read the request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// RateLimit is the per-client request rate: a token bucket per bearer
// token, per session cookie, or per IP address for anonymous callers.
type RateLimit struct {
	// PerSecond is the sustained rate; 0 turns the limit off.
	PerSecond float64
	// Burst is how many requests may come at once.
	Burst int
}

// DefaultRateLimit is generous for people and scripts, and stops a
// runaway loop from taking the database for itself.
var DefaultRateLimit = RateLimit{PerSecond: 20, Burst: 60}

// limiters holds one token bucket per client key, forgetting keys unseen
// for idleAfter (swept at most once a minute, on a request).
type limiters struct {
	lim       RateLimit
	metrics   *metrics.Registry
	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
	now       func() time.Time
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

const idleAfter = 10 * time.Minute

func newLimiters(lim RateLimit, reg *metrics.Registry) *limiters {
	return &limiters{lim: lim, metrics: reg, buckets: map[string]*bucket{}, now: time.Now}
}

// wait returns how long the client of key must wait before its next
// request is allowed; 0 means it is allowed now (and counted).
func (ls *limiters) wait(key string) time.Duration {
	now := ls.now()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.lastSweep) > time.Minute {
		for k, b := range ls.buckets {
			if now.Sub(b.seen) > idleAfter {
				delete(ls.buckets, k)
			}
		}
		ls.lastSweep = now
	}
	b, ok := ls.buckets[key]
	if !ok {
		b = &bucket{l: rate.NewLimiter(rate.Limit(ls.lim.PerSecond), max(ls.lim.Burst, 1))}
		ls.buckets[key] = b
	}
	b.seen = now
	res := b.l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// clientKey names the client a request counts against: its bearer token
// or session cookie (hashed: secrets are not kept in memory longer than
// the request), else its IP address.
func clientKey(r *http.Request) string {
	digest := func(kind, s string) string {
		h := sha256.Sum256([]byte(s))
		return kind + hex.EncodeToString(h[:12])
	}
	if h := r.Header.Get("Authorization"); h != "" {
		return digest("t:", h)
	}
	if c, err := r.Cookie("hub_session"); err == nil && c.Value != "" {
		return digest("s:", c.Value)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "ip:" + host
}

// rateLimited refuses requests over the client's rate with 429, a
// Retry-After header (whole seconds) and a JSON error. Health, readiness
// and metrics are never limited: monitoring must see an overloaded hub.
func rateLimited(lim RateLimit, reg *metrics.Registry, next http.Handler) http.Handler {
	if lim.PerSecond <= 0 {
		return next
	}
	ls := newLimiters(lim, reg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, dashboard.AssetsHost) {
			next.ServeHTTP(w, r)
			return
		}
		d := ls.wait(clientKey(r))
		if d == 0 {
			next.ServeHTTP(w, r)
			return
		}
		reg.RateLimited()
		secs := int(math.Ceil(d.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeGraphQLError(w, http.StatusTooManyRequests, codeRateLimited,
			fmt.Sprintf("请求过于频繁，请 %d 秒后重试 / too many requests, retry in %d s", secs, secs))
	})
}
