package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/sixprot/hub/internal/hub"
)

// ValuesChannel is the channel migration 00064's triggers notify.
const ValuesChannel = "hub_values"

// ListenApplication names the listener's connection in pg_stat_activity.
const ListenApplication = "hub live"

// DefaultHeartbeat and DefaultHeartbeatTimeout are the listener's default
// Heartbeat and HeartbeatTimeout: a silent connection is given up within
// 7 s. The answer's wait is the longer, so that a server slowed by load
// (CI's busy 2 cores) is not taken for a lost one.
const (
	DefaultHeartbeat        = 2 * time.Second
	DefaultHeartbeatTimeout = 5 * time.Second
)

// Listener is a process's one LISTEN connection (live updates): it turns
// the triggers' notifications into hub.Change values, and reconnects after
// the connection is lost (a database restart, pg_terminate_backend),
// reporting a hub.Change with Resync, because notifications sent while it
// was away are lost.
type Listener struct {
	// URL connects (as hub_app: LISTEN needs no privilege).
	URL string
	Log *slog.Logger
	// Change receives every change, in order, on the listener's goroutine.
	Change func(hub.Change)
	// Listening, when set, is called each time LISTEN is in place (tests
	// wait for it before writing).
	Listening func()
	// Channels are further channels this one connection LISTENs on (for
	// other concerns, e.g. token revocation), each with the function that
	// receives its payloads on the listener's goroutine. After a
	// reconnection each gets "" (notifications may have been missed).
	// Set before Run.
	Channels map[string]func(payload string)
	// MaxBackoff bounds the wait between reconnection attempts (default 5 s).
	MaxBackoff time.Duration
	// Heartbeat is how long the connection may stay silent before the
	// listener asks the server for a round trip (default
	// DefaultHeartbeat), which must come back within HeartbeatTimeout
	// (default DefaultHeartbeatTimeout). A connection whose packets are
	// dropped (a failover, a firewall that forgot it) gives no error, only
	// silence, and the caches would go on serving without their
	// notifications: this bounds that to Heartbeat + HeartbeatTimeout.
	Heartbeat, HeartbeatTimeout time.Duration

	watches []watch // caches cleared by notifications (DB.Cache)
}

// watch has w told about channels; call before Run.
func (l *Listener) watch(w watcher, channels ...string) {
	l.watches = append(l.watches, watch{channels: channels, w: w})
}

// Listener returns a listener over db's database that hands changes to
// change; Run starts it.
func (db *DB) Listener(log *slog.Logger, change func(hub.Change)) *Listener {
	return &Listener{URL: db.url, Log: log, Change: change}
}

// Run listens until ctx ends; it returns ctx's error.
func (l *Listener) Run(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	maxBackoff := l.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 5 * time.Second
	}
	lost := false
	for {
		err := l.listen(ctx, lost, func() { backoff = 50 * time.Millisecond })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !lost {
			l.Log.Warn("live updates: lost the LISTEN connection, reconnecting", "error", err)
		}
		lost = true
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen connects, LISTENs and delivers notifications until the
// connection fails. After a loss (resync), it reports a Resync change once
// LISTEN is in place again, so that no change between the two is missed
// by a subscriber that reads again.
func (l *Listener) listen(ctx context.Context, resync bool, connected func()) error {
	cfg, err := pgx.ParseConfig(l.URL)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = ListenApplication
	cfg.ConnectTimeout = 5 * time.Second
	// A heartbeat's wait ends by its deadline alone, without a cancel
	// request to the server each time.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	heartbeat := cmp.Or(l.Heartbeat, DefaultHeartbeat)
	answer := cmp.Or(l.HeartbeatTimeout, DefaultHeartbeatTimeout)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	channels := append([]string{ValuesChannel}, slices.Sorted(maps.Keys(l.Channels))...)
	for _, w := range l.watches {
		channels = append(channels, w.channels...)
	}
	slices.Sort(channels)
	for _, ch := range slices.Compact(channels) {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	// From here until the connection fails the caches may serve; they
	// stop as soon as it does, before any reconnection attempt.
	for _, w := range l.watches {
		w.w.listening(true)
	}
	defer func() {
		for _, w := range l.watches {
			w.w.listening(false)
		}
	}()
	connected()
	if resync {
		l.Log.Info("live updates: LISTEN connection back, subscribers resync")
		if l.Change != nil {
			l.Change(hub.Change{Resync: true})
		}
		for _, fn := range l.Channels {
			fn("")
		}
	}
	if l.Listening != nil {
		l.Listening()
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, heartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// Silent for a heartbeat: the server must still answer.
			pctx, cancel := context.WithTimeout(ctx, answer)
			err = conn.Ping(pctx)
			cancel()
			if err == nil {
				continue
			}
			err = fmt.Errorf("no answer within %v: %w", answer, err)
		}
		if err != nil {
			return err
		}
		for _, w := range l.watches {
			if slices.Contains(w.channels, n.Channel) {
				w.w.notified(n.Channel)
			}
		}
		if fn, ok := l.Channels[n.Channel]; ok {
			fn(n.Payload)
			continue
		}
		if n.Channel != ValuesChannel || l.Change == nil {
			continue // a cache's channel only
		}
		c, err := parseChange(n.Payload)
		if err != nil {
			l.Log.Warn("live updates: a notification that does not parse, dropped", "error", err)
			continue
		}
		l.Change(c)
	}
}

// parseChange reads a payload of migration 00064.
func parseChange(payload string) (hub.Change, error) {
	var p struct {
		V    []int    `json:"v"`
		I    []string `json:"i"`
		Many bool     `json:"many"`
	}
	if err := json.Unmarshal([]byte(payload), &p); err != nil {
		return hub.Change{}, err
	}
	if len(p.V) == 0 && !p.Many {
		return hub.Change{}, errors.New("no ids")
	}
	return hub.Change{ValueIDs: p.V, Indicators: p.I, Many: p.Many}, nil
}
