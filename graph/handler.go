package graph

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sixprot/hub/internal/hub"
)

// Limits bound what one GraphQL request may ask.
type Limits struct {
	// Complexity is the largest complexity of an operation (each field
	// counts 1, lists multiply by their first argument).
	Complexity int
	// Depth is the deepest field nesting of an operation (0: no limit).
	Depth int
	// Upload is the largest file a multipart request may upload (0: no
	// multipart requests).
	Upload int64
	// QueryBytes is the longest query text in bytes (0: no limit).
	QueryBytes int
}

// DefaultLimits are the limits the hub serves with unless configured.
var DefaultLimits = Limits{Complexity: 20000, Depth: 12, Upload: 64 << 20, QueryBytes: 64 << 10}

// NewHandler returns the GraphQL HTTP handler over the resolver: POST and
// GET transports (and multipart uploads when lim.Upload is set), a parsed-query cache, complexity limit, error presenter,
// and authentication of every root field but __typename.
func NewHandler(res *Resolver, log *slog.Logger, lim Limits) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: res}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	if lim.Upload > 0 {
		// Files above MaxMemory go to a temporary file, not the heap.
		srv.AddTransport(transport.MultipartForm{MaxUploadSize: lim.Upload, MaxMemory: 8 << 20})
	}
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(queryLimit{Max: lim.QueryBytes})
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(lim.Complexity))
	srv.Use(depthLimit{Max: lim.Depth})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.SetErrorPresenter(ErrorPresenter(log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "graphql panic", "panic", fmt.Sprint(p))
		return fmt.Errorf("panic: %v", p)
	})
	srv.AroundRootFields(requirePrincipal)
	return srv
}

// requirePrincipal refuses every root field but __typename to a request
// without a principal. Introspection (__schema, __type) is refused too:
// the schema is for authenticated users.
func requirePrincipal(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	fc := graphql.GetRootFieldContext(ctx)
	if fc != nil && fc.Object != "" && fc.Field.Name == "__typename" {
		return next(ctx)
	}
	if hub.PrincipalFrom(ctx) == nil {
		graphql.AddError(ctx, AuthError(ctx))
		return graphql.Null
	}
	return next(ctx)
}

type authErrKey struct{}

// WithAuthError records why a request carries no principal (a bad or
// revoked token), so that the GraphQL error can say it.
func WithAuthError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, authErrKey{}, err)
}

// AuthError returns the reason recorded by WithAuthError, or a generic
// UNAUTHENTICATED error.
func AuthError(ctx context.Context) error {
	if err, ok := ctx.Value(authErrKey{}).(error); ok {
		return err
	}
	return hub.Errorf(hub.EUNAUTHENTICATED, "需要登录：请在 Authorization 头中提供 Bearer 令牌 / authentication required: send Authorization: Bearer <token>")
}
