package server

import (
	"context"
	"io"
	"log/slog"
	"os"
)

// NewLogger returns the hub's logger writing to w: JSON (for log
// collectors) unless format is "text", or format is empty and w is a
// terminal. Every line logged with a request's context carries its
// request_id.
func NewLogger(format string, w io.Writer, level slog.Leveler) *slog.Logger {
	if format == "" {
		format = "json"
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				format = "text"
			}
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(WithRequestIDs(slog.NewTextHandler(w, opts)))
	}
	return slog.New(WithRequestIDs(slog.NewJSONHandler(w, opts)))
}

// WithRequestIDs wraps h so that records logged with a request's context
// carry the request's id as request_id.
func WithRequestIDs(h slog.Handler) slog.Handler {
	if _, ok := h.(requestIDHandler); ok {
		return h
	}
	return requestIDHandler{h}
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
