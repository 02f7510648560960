// Package sso is single sign-on with OpenID Connect (go-oidc and
// x/oauth2): the operator's configuration, the authorization-code flow
// with state, nonce and PKCE checked, and the mapping of a person's claims
// to the hub's role, department and region. It says who a person is; the
// session is started by the hub's session service, like a password login,
// and checked by the HTTP edge like any other.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/sixprot/hub/internal/hub"
)

// Config is the operator's single sign-on configuration: a JSON file
// (LoadConfig) plus the client secret, which comes from the environment.
type Config struct {
	// Issuer is the provider's issuer URL (discovery at
	// Issuer/.well-known/openid-configuration).
	Issuer   string `json:"issuer"`
	ClientID string `json:"client_id"`
	// ClientSecret is never read from the file (HUB_OIDC_CLIENT_SECRET).
	ClientSecret string `json:"-"`
	// RedirectURL is the hub's callback as the browser reaches it:
	// https://<hub>/login/sso/callback.
	RedirectURL string `json:"redirect_url"`
	// Scopes are requested besides openid (default: profile, email, groups).
	Scopes []string `json:"scopes"`
	// UsernameClaim names the claim that is the hub's user name (default
	// preferred_username).
	UsernameClaim string `json:"username_claim"`
	// Rules map claims to role, department and region; the first rule
	// that matches wins, and a person no rule matches is refused.
	Rules []Rule `json:"rules"`
	// SecureCookies marks the flow's cookie Secure without TLS on this hop.
	SecureCookies bool `json:"-"`
	// HTTPClient talks to the provider (default http.DefaultClient).
	HTTPClient *http.Client `json:"-"`
}

// Rule gives the people whose claim Claim equals (or, for a list claim
// such as groups, holds) Equals a role, department and region.
type Rule struct {
	Claim      string   `json:"claim"`
	Equals     string   `json:"equals"`
	Role       hub.Role `json:"role"`
	Department *string  `json:"department,omitempty"`
	Region     string   `json:"region"`
}

// LoadConfig reads the configuration file at path and checks it; the
// client secret is given apart.
func LoadConfig(path, clientSecret string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("single sign-on configuration: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("single sign-on configuration %s: %w", path, err)
	}
	c.ClientSecret = clientSecret
	return c, c.check()
}

func (c *Config) check() error {
	switch {
	case c.Issuer == "" || c.ClientID == "" || c.RedirectURL == "":
		return fmt.Errorf("single sign-on configuration needs issuer, client_id and redirect_url")
	case len(c.Rules) == 0:
		return fmt.Errorf("single sign-on configuration has no rules: nobody could sign on")
	}
	for i, r := range c.Rules {
		if _, err := hub.ParseRole(string(r.Role)); err != nil || r.Claim == "" || r.Equals == "" || r.Region == "" {
			return fmt.Errorf("single sign-on rule %d needs claim, equals, a role (analyst, coordinator, leader, media, admin) and region", i+1)
		}
		if r.Role == hub.Analyst && (r.Department == nil || *r.Department == "") {
			return fmt.Errorf("single sign-on rule %d gives analysts no department", i+1)
		}
	}
	return nil
}

// Map is the person claims describe, in the hub's terms: Role nil when no
// rule matches.
func Map(c Config, issuer string, claims map[string]any) hub.SSOIdentity {
	sub, _ := claims["sub"].(string)
	nameClaim := c.UsernameClaim
	if nameClaim == "" {
		nameClaim = "preferred_username"
	}
	name, _ := claims[nameClaim].(string)
	id := hub.SSOIdentity{Identity: issuer + "#" + sub, Name: name}
	for _, r := range c.Rules {
		if holds(claims[r.Claim], r.Equals) {
			role, _ := hub.ParseRole(string(r.Role))
			id.Role, id.Department, id.Region = &role, r.Department, r.Region
			break
		}
	}
	return id
}

func holds(v any, want string) bool {
	switch v := v.(type) {
	case string:
		return v == want
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}

// Provider runs the sign-on flow against one OpenID Connect provider.
type Provider struct {
	cfg      Config
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// New discovers the provider at cfg.Issuer.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("single sign-on provider %s: %w", cfg.Issuer, err)
	}
	scopes := cfg.Scopes
	if scopes == nil {
		scopes = []string{"profile", "email", "groups"}
	}
	return &Provider{cfg: cfg, verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}), oauth: oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, scopes...),
	}}, nil
}

// flowCookie holds one sign-on's state, nonce and PKCE verifier between
// the redirect to the provider and its callback.
const flowCookie = "hub_sso_flow"

type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin sends the browser to the provider with a fresh state, nonce and
// PKCE challenge (S256), remembered in a short-lived cookie of the
// callback's path; next is where to go after signing on.
func (p *Provider) Begin(w http.ResponseWriter, r *http.Request, next string) {
	f := flow{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next}
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/login/sso",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: p.cfg.SecureCookies || r.TLS != nil, MaxAge: 600})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, p.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
}

func refused(format string, args ...any) error {
	return hub.Errorf(hub.EFORBIDDEN, format, args...)
}

// Complete checks the provider's callback: the state against the flow's
// cookie, the code exchanged with the PKCE verifier, the ID token's
// signature, audience, expiry and nonce. It returns the person in the
// hub's terms (unmapped: Role nil) and next. Any failed check is
// FORBIDDEN, saying to start again.
func (p *Provider) Complete(w http.ResponseWriter, r *http.Request) (hub.SSOIdentity, string, error) {
	c, err := r.Cookie(flowCookie)
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Path: "/login/sso", MaxAge: -1, HttpOnly: true})
	var f flow
	if err == nil {
		if b, e := base64.RawURLEncoding.DecodeString(c.Value); e != nil || json.Unmarshal(b, &f) != nil {
			f = flow{}
		}
	}
	q := r.URL.Query()
	switch {
	case q.Get("error") != "":
		return hub.SSOIdentity{}, "", refused("统一身份认证拒绝了登录（%.100s）/ single sign-on refused the login (%.100s)", q.Get("error"), q.Get("error"))
	case f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(q.Get("state"))) != 1:
		return hub.SSOIdentity{}, "", refused("登录状态校验失败，请重新登录 / the sign-on state did not match: sign in again")
	case q.Get("code") == "":
		return hub.SSOIdentity{}, "", refused("统一身份认证未返回授权码 / single sign-on sent no code")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	if p.cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, p.cfg.HTTPClient)
	}
	tok, err := p.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return hub.SSOIdentity{}, "", fmt.Errorf("%w: %v", refused("无法向统一身份认证换取令牌，请重新登录 / single sign-on did not confirm the login: sign in again"), err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return hub.SSOIdentity{}, "", refused("统一身份认证未返回身份令牌 / single sign-on sent no ID token")
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return hub.SSOIdentity{}, "", fmt.Errorf("%w: %v", refused("身份令牌无效，请重新登录 / the ID token is not valid: sign in again"), err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return hub.SSOIdentity{}, "", refused("身份令牌的 nonce 不符，请重新登录 / the ID token's nonce did not match: sign in again")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return hub.SSOIdentity{}, "", fmt.Errorf("%w: %v", refused("身份令牌无法读取 / cannot read the ID token"), err)
	}
	return Map(p.cfg, idt.Issuer, claims), f.Next, nil
}
