package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// Instrument makes srv count operations (by name and type, with their
// duration) and errors (by extensions.code) in reg. Errors are counted in
// the error presenter, so that parse, validation and limit errors, which
// end a request before any operation runs, are counted too.
func Instrument(srv *handler.Server, log *slog.Logger, reg *metrics.Registry) {
	if reg == nil {
		return
	}
	srv.Use(observe{reg: reg})
	present := ErrorPresenter(log)
	srv.SetErrorPresenter(func(ctx context.Context, err error) *gqlerror.Error {
		e := present(ctx, err)
		code, _ := e.Extensions["code"].(string)
		reg.GraphQLError(code)
		return e
	})
}

// observe is a gqlgen extension that records each executed operation.
type observe struct{ reg *metrics.Registry }

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = observe{}

func (observe) ExtensionName() string                   { return "Metrics" }
func (observe) Validate(graphql.ExecutableSchema) error { return nil }

func (o observe) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	start := time.Now()
	resp := next(ctx)
	if !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	if !oc.Stats.OperationStart.IsZero() {
		start = oc.Stats.OperationStart
	}
	name, typ := oc.OperationName, "unknown"
	if oc.Operation != nil {
		typ = string(oc.Operation.Operation)
		if name == "" {
			name = oc.Operation.Name
		}
	}
	o.reg.Operation(name, typ, time.Since(start))
	return resp
}

// queryLimit refuses query texts longer than Max bytes before they are
// parsed, with extensions.code QUERY_TOO_COMPLEX.
type queryLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = queryLimit{}

func (queryLimit) ExtensionName() string                   { return "QueryLimit" }
func (queryLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (q queryLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if q.Max <= 0 || len(p.Query) <= q.Max {
		return nil
	}
	n := len(p.Query)
	err := gqlerror.Errorf("查询文本过长（%d 字节，上限 %d）/ the query text is %d bytes, the limit is %d", n, q.Max, n, q.Max)
	err.Extensions = map[string]any{"code": hub.ETOOCOMPLEX}
	return err
}
