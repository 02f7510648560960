package server

import (
	"bytes"
	"cmp"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// limitBody reads the request body up to max bytes before next sees it.
// A larger body is refused with 413 and a JSON error, never a decoding
// error or a 500 from deeper down.
func limitBody(max int64, next http.Handler) http.Handler {
	tooLarge := func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, nil, hub.Errorf(hub.ETOOLARGE, "请求体过大（上限 %d 字节）/ the request body is larger than %d bytes", max, max))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			tooLarge(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge(w, r)
			return
		case err != nil:
			writeError(w, r, nil, hub.Errorf(hub.EINVALID, "无法读取请求体 / cannot read the request body"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// RateLimit is the per-client request rate: a token bucket per user for
// callers with a valid bearer token or session, and per client address for
// every other request (none, a malformed, unknown, revoked or expired
// credential), so that sending random tokens does not buy fresh buckets.
type RateLimit struct {
	// PerSecond is the sustained rate; 0 turns the limit off.
	PerSecond float64
	// Burst is how many requests may come at once.
	Burst int
	// MaxClients bounds how many clients' buckets are kept at once
	// (DefaultMaxClients when 0); see limiters.
	MaxClients int
}

// DefaultRateLimit is generous for people and scripts, and stops a
// runaway loop from taking the database for itself.
var DefaultRateLimit = RateLimit{PerSecond: 20, Burst: 60}

// DefaultMaxClients is how many clients' buckets are kept at most: about
// 100 bytes each, so some 10 MB.
const DefaultMaxClients = 100_000

// limiters holds one token bucket per client key. Memory stays bounded
// whatever the keys: a bucket that has refilled completely is the same as
// a new one and is dropped (swept once a minute, and whenever the table is
// full, at most once a second); when the table is still full, clients not
// in it share one overflow bucket instead of getting their own.
type limiters struct {
	lim       RateLimit
	max       int
	metrics   *metrics.Registry
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	overflow  *rate.Limiter
	lastSweep time.Time
	now       func() time.Time
}

func newLimiters(lim RateLimit, reg *metrics.Registry) *limiters {
	ls := &limiters{lim: lim, max: cmp.Or(lim.MaxClients, DefaultMaxClients), metrics: reg,
		buckets: map[string]*rate.Limiter{}, now: time.Now}
	ls.overflow = ls.bucket()
	return ls
}

func (ls *limiters) bucket() *rate.Limiter {
	return rate.NewLimiter(rate.Limit(ls.lim.PerSecond), max(ls.lim.Burst, 1))
}

// sweep drops the buckets that have refilled; ls.mu is held.
func (ls *limiters) sweep(now time.Time) {
	full := float64(max(ls.lim.Burst, 1))
	for k, b := range ls.buckets {
		if b.TokensAt(now) >= full {
			delete(ls.buckets, k)
		}
	}
	ls.lastSweep = now
}

// wait returns how long the client of key must wait before its next
// request is allowed; 0 means it is allowed now (and counted).
func (ls *limiters) wait(key string) time.Duration {
	now := ls.now()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if now.Sub(ls.lastSweep) > time.Minute {
		ls.sweep(now)
	}
	b, ok := ls.buckets[key]
	if !ok && len(ls.buckets) >= ls.max && now.Sub(ls.lastSweep) > time.Second {
		ls.sweep(now)
	}
	switch {
	case ok:
	case len(ls.buckets) < ls.max:
		b = ls.bucket()
		ls.buckets[key] = b
	default:
		b = ls.overflow
	}
	res := b.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d
	}
	return 0
}

// clientAddress returns the address a request's client counts as, for
// rate limits and login back-off: the host of r.RemoteAddr, or, when
// RemoteAddr is one of the trusted proxies, the right-most address of
// X-Forwarded-For that is not a trusted proxy itself (the left part of
// that header is whatever the client wrote, so it is never believed).
// IPv6 addresses count by their /64, which one host usually holds whole.
func clientAddress(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if isTrusted(addr, trusted) {
		hops := r.Header.Values("X-Forwarded-For")
	walk:
		for i := len(hops) - 1; i >= 0; i-- {
			parts := strings.Split(hops[i], ",")
			for j := len(parts) - 1; j >= 0; j-- {
				hop, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
				if err != nil {
					break walk
				}
				addr = hop.Unmap()
				if !isTrusted(addr, trusted) {
					break walk
				}
			}
		}
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
