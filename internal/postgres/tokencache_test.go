package postgres_test

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// leaderToken creates the leader name at region through cli (another
// process, as the CLI is) and issues it a token lasting ttl (0: no expiry).
func leaderToken(t *testing.T, cli *postgres.AuthService, name, region string, ttl time.Duration) *postgres.IssuedToken {
	t.Helper()
	ctx := context.Background()
	if _, err := cli.CreateUser(ctx, hub.NewUser{Name: name, Role: hub.Leader, Region: region}); err != nil {
		t.Fatal(err)
	}
	return issueToken(t, cli, name, ttl)
}

// issueToken issues user a token lasting ttl (0: no expiry) through cli.
func issueToken(t *testing.T, cli *postgres.AuthService, user string, ttl time.Duration) *postgres.IssuedToken {
	t.Helper()
	tok, err := cli.IssueToken(context.Background(), user, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// eventually calls ok until it holds, for at most 10 s (the hub_auth
// notification arrives well within a millisecond here; the bound only
// keeps a broken build from hanging).
func eventually(t *testing.T, what string, ok func() bool) int {
	t.Helper()
	for tries := 1; ; tries++ {
		if ok() {
			return tries
		}
		if tries > 1000 {
			t.Fatalf("%s: still not after 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTokenCache_RevocationAndDisableClearItAtOnce: with the cache on, a
// token's principal is served without reading the tokens table again
// (proved by revoking behind the cache's back with the notification
// trigger off: the cached token still works); a revocation, a disabled
// user or a changed scope made by another process (the CLI: another
// AuthService, another pool) stops the token as soon as its notification
// arrives, and one made through the caching service stops it before the
// call returns.
func TestTokenCache_RevocationAndDisableClearItAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cli := postgres.NewAuthService(db.Owner) // another process: hub token revoke, hub user disable
	for _, name := range []string{"cache-a", "cache-b", "cache-c"} {
		if _, err := cli.CreateUser(ctx, hub.NewUser{Name: name, Role: hub.Leader, Region: "370700"}); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(user string) *postgres.IssuedToken { return issueToken(t, cli, user, 0) }
	a1, a2, b, c := issue("cache-a"), issue("cache-a"), issue("cache-b"), issue("cache-c")

	app := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) { app.CacheTokens(l, time.Hour) })
	works := func(s *postgres.AuthService, tok *postgres.IssuedToken) bool {
		_, err := s.Authenticate(ctx, tok.Token)
		if err != nil && hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, tok := range []*postgres.IssuedToken{a1, a2, b, c} {
		if !works(app, tok) {
			t.Fatalf("token %d refused before any change", tok.ID)
		}
	}

	// The cache serves: a revocation nobody is told about goes unseen.
	conn := db.OwnerConn(t)
	if _, err := conn.Exec(ctx, `ALTER TABLE tokens DISABLE TRIGGER tokens_auth_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE tokens SET revoked_at = now() WHERE id = $1`, a1.ID); err != nil {
		t.Fatal(err)
	}
	if !works(app, a1) {
		t.Fatal("a cached token was looked up again: the cache serves nothing")
	}
	if _, err := conn.Exec(ctx, `ALTER TABLE tokens ENABLE TRIGGER tokens_auth_changed`); err != nil {
		t.Fatal(err)
	}

	// Another process revokes: the notification clears the cache (a1's
	// silent revocation is seen with it).
	if err := cli.RevokeToken(ctx, a2.ID); err != nil {
		t.Fatal(err)
	}
	tries := eventually(t, "revoked token still accepted", func() bool { return !works(app, a2) })
	t.Logf("revoked token refused after %d tries", tries)
	if works(app, a1) {
		t.Error("the silently revoked token survived the clear")
	}

	// Another process disables a user.
	if err := cli.SetDisabled(ctx, "cache-b", true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "disabled user's token still accepted", func() bool { return !works(app, b) })

	// Another process narrows a scope: the next principal has it.
	county := "370781"
	if _, err := cli.UpdateUser(ctx, "cache-c", postgres.UserChange{Region: &county}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "old scope still served", func() bool {
		p, err := app.Authenticate(ctx, c.Token)
		return err == nil && p.Region == county
	})

	// Through the caching service itself: refused before the call returns.
	own := postgres.NewAuthService(db.Owner)
	listen(t, db.Owner, func(l *postgres.Listener) { own.CacheTokens(l, time.Hour) })
	d := issue("cache-c")
	if !works(own, d) {
		t.Fatal("new token refused")
	}
	if err := own.RevokeToken(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if works(own, d) {
		t.Error("a token revoked through the caching service still works right after")
	}
}

// TestTokenCache_OffWhileItsListenerIsDown: when the listening connection
// dies, the cache stops serving (a missed notification cannot leave a
// revoked token working), and comes back once it reconnects.
func TestTokenCache_OffWhileItsListenerIsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cli := postgres.NewAuthService(db.Owner)
	tok := leaderToken(t, cli, "cache-l", "370700", 0)
	app := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) { app.CacheTokens(l, time.Hour) })
	if _, err := app.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	conn := db.OwnerConn(t)
	// A revocation the listener will never hear of (trigger off), then the
	// listener's connection dies.
	if _, err := conn.Exec(ctx, `ALTER TABLE tokens DISABLE TRIGGER tokens_auth_changed`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE tokens SET revoked_at = now() WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal("precondition: the cached token should still be served", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, postgres.ListenApplication).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", n, err)
	}
	eventually(t, "cache still served with its listener gone", func() bool {
		_, err := app.Authenticate(ctx, tok.Token)
		return hub.ErrorCode(err) == hub.EUNAUTHENTICATED
	})
	eventually(t, "listener did not reconnect", func() bool {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, postgres.ListenApplication).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	})
}

// TestTokenCache_ServeOwnChangesClearItBeforeTheyReturn: wired as hub
// serve wires it (NewServices, then a caching AuthService as Auth), a
// token revoked by its owner (revokeMyToken, the account page) and a user
// disabled or narrowed by an admin (GraphQL) stop working in this process
// before the call returns, whatever the notification's delay (here: no
// notification at all).
func TestTokenCache_ServeOwnChangesClearItBeforeTheyReturn(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cli := postgres.NewAuthService(db.Owner)
	for _, u := range []hub.NewUser{
		{Name: "own-admin", Role: hub.Admin, Region: "370700"},
		{Name: "own-a", Role: hub.Leader, Region: "370700"},
		{Name: "own-b", Role: hub.Leader, Region: "370700"},
		{Name: "own-c", Role: hub.Leader, Region: "370700"},
	} {
		if _, err := cli.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(user string) *postgres.IssuedToken { return issueToken(t, cli, user, 0) }
	adm, a, b, c := issue("own-admin"), issue("own-a"), issue("own-b"), issue("own-c")
	svc := postgres.NewServices(db.App, postgres.ServicesConfig{})
	auth := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) { auth.CacheTokens(l, time.Hour) })
	svc.Auth = auth
	principal := func(tok *postgres.IssuedToken) (*hub.Principal, error) { return svc.Auth.Authenticate(ctx, tok.Token) }
	as := func(tok *postgres.IssuedToken) context.Context {
		t.Helper()
		p, err := principal(tok)
		if err != nil {
			t.Fatal(err)
		}
		return hub.NewContext(ctx, p)
	}
	admin, ownerA := as(adm), as(a)
	as(b)
	as(c)
	owner := db.OwnerConn(t)
	for _, sql := range []string{`ALTER TABLE tokens DISABLE TRIGGER tokens_auth_changed`, `ALTER TABLE users DISABLE TRIGGER users_auth_changed`} {
		if _, err := owner.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := svc.Tokens.RevokeMyToken(ownerA, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := principal(a); err == nil {
		t.Error("a token its owner revoked still works in the same process")
	}
	if _, err := svc.Users.SetDisabled(admin, "own-b", true); err != nil {
		t.Fatal(err)
	}
	if _, err := principal(b); err == nil {
		t.Error("the token of a user an admin disabled still works in the same process")
	}
	role := hub.Analyst
	dept := "education"
	if _, err := svc.Users.UpdateUser(admin, "own-c", hub.UserChange{Role: &role, Department: &dept}); err != nil {
		t.Fatal(err)
	}
	if p, err := principal(c); err != nil || p.Role != hub.Analyst {
		t.Errorf("after a role change by an admin the same process serves %+v, %v", p, err)
	}
}

// blackHole forwards TCP to upstream until freeze; from then on it
// forwards nothing either way and closes nothing, as a route that drops
// packets does (a failover, a firewall forgetting the connection): the
// peer sees no error, only silence.
type blackHole struct {
	ln     net.Listener
	frozen chan struct{}
	once   sync.Once
}

func newBlackHole(t *testing.T, upstream string) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{ln: ln, frozen: make(chan struct{})}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		h.freeze()
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			select {
			case <-h.frozen:
				<-make(chan struct{}) // swallow it, for ever
			default:
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, up)
			mu.Unlock()
			go pipe(up, c)
			go pipe(c, up)
		}
	}()
	return h
}

func (h *blackHole) freeze() { h.once.Do(func() { close(h.frozen) }) }

// through returns rawURL with its host replaced by h's address.
func (h *blackHole) through(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = h.ln.Addr().String()
	return u.String()
}

// TestTokenCache_OffWhenItsListenerHearsNothing: when the listening
// connection goes silent without an error (its packets dropped), the
// notifications it no longer brings must not leave a revoked token
// working: the listener notices within seconds, and the cache stops.
func TestTokenCache_OffWhenItsListenerHearsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cli := postgres.NewAuthService(db.Owner)
	tok := leaderToken(t, cli, "cache-h", "370700", 0)
	u, err := url.Parse(db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	hole := newBlackHole(t, u.Host)
	lurl := hole.through(t, db.AppURL)
	app := postgres.NewAuthService(db.App)
	l := &postgres.Listener{URL: lurl, Log: slog.New(slog.DiscardHandler)}
	listening := make(chan struct{}, 1)
	l.Listening = func() {
		select {
		case listening <- struct{}{}:
		default:
		}
	}
	app.CacheTokens(l, time.Hour)
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	<-listening
	if _, err := app.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	// A connection that answers its heartbeats is kept.
	time.Sleep(postgres.DefaultHeartbeat + postgres.DefaultHeartbeatTimeout + 500*time.Millisecond)
	select {
	case <-listening:
		t.Fatal("the listener reconnected although its connection answered")
	default:
	}
	hole.freeze()
	if err := cli.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	// Refused once a heartbeat goes unanswered (within Heartbeat +
	// HeartbeatTimeout, 7 s); the minute is a hung test's bound, not a
	// timing claim, and the time taken is logged.
	start := time.Now()
	for {
		if _, err := app.Authenticate(ctx, tok.Token); err != nil {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("a revoked token is still accepted a minute after the listener stopped hearing anything")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("refused after %v", time.Since(start).Round(time.Millisecond))
}

// TestTokenCache_MovedRegionNotifies: moving a region as hub regions
// import does (UPDATE regions SET parent_code) gives its users their new
// scope at once, although regions_auth_changed fires on UPDATE OF code,
// path and the path is set by the BEFORE trigger, not named in the SET
// list: regions_move_children's UPDATE regions SET path = path, which runs
// for every moved region, a leaf without children too, fires it.
func TestTokenCache_MovedRegionNotifies(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	owner := db.OwnerConn(t)
	var leaf, county, other string
	if err := owner.QueryRow(ctx, `SELECT l.code, c.code, o.code FROM regions l JOIN regions c ON c.code = l.parent_code
JOIN regions o ON o.level = c.level AND o.code <> c.code AND o.parent_code = c.parent_code
WHERE NOT EXISTS (SELECT 1 FROM regions x WHERE x.parent_code = l.code) ORDER BY l.code LIMIT 1`).Scan(&leaf, &county, &other); err != nil {
		t.Fatal(err)
	}
	cli := postgres.NewAuthService(db.Owner)
	tok := leaderToken(t, cli, "mv-leaf", leaf, 0)
	app := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) { app.CacheTokens(l, time.Hour) })
	p, err := app.Authenticate(ctx, tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	old := p.RegionPath
	if _, err := owner.Exec(ctx, `UPDATE regions SET parent_code = $1 WHERE code = $2`, other, leaf); err != nil {
		t.Fatal(err)
	}
	eventually(t, "moved leaf's old scope still served", func() bool {
		p, err := app.Authenticate(ctx, tok.Token)
		return err == nil && p.RegionPath != old
	})
}

// TestTokenCache_TruncatedTokensNotify: TRUNCATE tokens, the quickest way
// for an operator to revoke every token at once, fires no DELETE trigger;
// the cached tokens must stop anyway, as soon as the notification comes.
func TestTokenCache_TruncatedTokensNotify(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cli := postgres.NewAuthService(db.Owner)
	tok := leaderToken(t, cli, "cache-t", "370700", 0)
	app := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) { app.CacheTokens(l, time.Hour) })
	if _, err := app.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := db.OwnerConn(t).Exec(ctx, `TRUNCATE tokens`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a token of a truncated table still accepted", func() bool {
		_, err := app.Authenticate(ctx, tok.Token)
		return err != nil
	})
}
