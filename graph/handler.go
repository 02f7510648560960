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
	"github.com/sixprot/hub/internal/trusted"
)

// Limits bound what one GraphQL request may ask.
type Limits struct {
	// Complexity is the largest cost of an operation: each field counts 1
	// plus its selection, lists multiply their selection by their page
	// size, argument list or realistic length (cost.go).
	Complexity int
	// Depth is the deepest field nesting of an operation (0: no limit).
	Depth int
	// Upload is the largest file a multipart request may upload (0: no
	// multipart requests).
	Upload int64
	// QueryBytes is the longest query text in bytes (0: no limit).
	QueryBytes int
	// Fields is the most fields a query document may have once its
	// fragments are expanded (counted before gqlgen validates it; 0: the
	// default).
	Fields int
	// Tokens is the most lexical tokens of a query document (0: the
	// default).
	Tokens int
}

// DefaultLimits are the limits the hub serves with unless configured.
// Every query of README.md and docs/ costs well under the limit
// (TestCost_DocumentedQueriesPass); a full page of 1,000 values with their
// indicator and region costs about 21,000, ten such pages are refused.
var DefaultLimits = Limits{Complexity: 30000, Depth: 12, Upload: 64 << 20, QueryBytes: 64 << 10, Fields: 2000, Tokens: 15000}

// maxDefinitions bounds the operations and fragments of a document.
const maxDefinitions = 100

// NewHandler returns the GraphQL HTTP handler over the resolver: GraphQL
// over HTTP (httpTransport) (and multipart uploads when lim.Upload is set), a
// parsed-query cache, the limits of lim, error presenter, and
// authentication of every root field but __typename.
func NewHandler(res *Resolver, log *slog.Logger, lim Limits) *handler.Server {
	return newHandler(res, log, lim, nil)
}

// newHandler is NewHandler with the operator's list of trusted documents
// (nil: any document).
func newHandler(res *Resolver, log *slog.Logger, lim Limits, docs *trusted.Documents) *handler.Server {
	// Documents are always bounded: a zero means the default, not "none".
	if lim.Fields <= 0 {
		lim.Fields = DefaultLimits.Fields
	}
	if lim.Tokens <= 0 {
		lim.Tokens = DefaultLimits.Tokens
	}
	es := NewExecutableSchema(Config{Resolvers: res})
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	if lim.Upload > 0 {
		// Files above 8 MiB go to a temporary file, not the heap.
		srv.AddTransport(uploadTransport{schema: es.Schema(), maxUpload: lim.Upload, maxMemory: 8 << 20, maxFiles: maxUploadFiles})
	}
	if res.Live != nil {
		addLiveTransports(srv, log, *res.Live)
	}
	// Every other GET and POST (and a multipart one without uploads, which
	// it refuses).
	srv.AddTransport(httpTransport{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(lim.Tokens)
	if docs != nil {
		// First: an operation that is not on the list is refused before
		// anything reads it, and a listed hash becomes its text for the
		// limits below.
		srv.Use(trustedDocuments{docs: docs})
	}
	// Order matters: the text and the document are bounded before gqlgen
	// parses and validates them; list arguments before the cost, which
	// multiplies by their lengths.
	srv.Use(queryLimit{Max: lim.QueryBytes})
	srv.Use(documentLimit{MaxTokens: lim.Tokens, MaxDefinitions: maxDefinitions, MaxFields: lim.Fields})
	srv.Use(extension.Introspection{})
	srv.Use(argumentBounds{schema: es.Schema()})
	srv.Use(costLimit{Max: lim.Complexity})
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
		// A bad or revoked token never gets here: the HTTP edge answers it
		// 401 before GraphQL runs. This is a request without one.
		graphql.AddError(ctx, hub.ErrNoPrincipal)
		return graphql.Null
	}
	return next(ctx)
}
