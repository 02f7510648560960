package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
)

// gqlgen's own codes that the API promises under other names.
var gqlgenCodes = map[string]string{
	"COMPLEXITY_LIMIT_EXCEEDED": hub.ETOOCOMPLEX,
	"GRAPHQL_VALIDATION_FAILED": "GRAPHQL_VALIDATION_FAILED",
	"GRAPHQL_PARSE_FAILED":      "GRAPHQL_PARSE_FAILED",
}

// ErrorPresenter is the one place where errors become GraphQL errors: a
// *hub.Error keeps its code and message; anything else is logged with its
// details and shown as an internal error.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var he *hub.Error
		if errors.As(err, &he) {
			gqlErr.Message = he.Message
			setCode(gqlErr, he.Code)
			return gqlErr
		}
		if code, ok := gqlErr.Extensions["code"].(string); ok {
			if mapped, known := gqlgenCodes[code]; known {
				setCode(gqlErr, mapped)
				return gqlErr
			}
		}
		var inner *gqlerror.Error
		if errors.As(err, &inner) && inner.Err == nil {
			// gqlgen's own errors about the request (bad arguments, unknown
			// fields) are the user's mistake and safe to show.
			if _, ok := gqlErr.Extensions["code"]; !ok {
				setCode(gqlErr, hub.EINVALID)
			}
			return gqlErr
		}
		log.ErrorContext(ctx, "graphql internal error", "path", gqlErr.Path.String(), "error", err)
		gqlErr.Message = hub.ErrorMessage(err)
		setCode(gqlErr, hub.EINTERNAL)
		return gqlErr
	}
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}
