package graph

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// TestErrorPresenter_KeepsEveryHubCode: every code of hub.Codes (the list
// the HTTP edge's status table covers too) reaches extensions.code as it is.
func TestErrorPresenter_KeepsEveryHubCode(t *testing.T) {
	present := ErrorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, code := range hub.Codes {
		e := present(context.Background(), hub.Errorf(code, "消息 / message"))
		if got, _ := e.Extensions["code"].(string); got != code {
			t.Errorf("%s presented as %q", code, got)
		}
	}
}
