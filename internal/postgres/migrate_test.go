package postgres_test

import (
	"context"
	"testing"

	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func TestMigrator_UpFromEmptyThenNothingPending(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Empty: true})
	m, err := postgres.NewMigrator(db.Owner)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	st, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) == 0 {
		t.Fatal("no migrations embedded")
	}
	for _, s := range st {
		if s.Applied {
			t.Errorf("%s applied on an empty database", s.Name)
		}
	}
	applied, err := m.Up(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(st) {
		t.Errorf("applied %d migrations, want %d", len(applied), len(st))
	}
	if pending, err := m.Pending(ctx); err != nil || pending {
		t.Errorf("Pending after Up = %v, %v; want false", pending, err)
	}
	again, err := m.Up(ctx)
	if err != nil || len(again) != 0 {
		t.Errorf("second Up applied %v (err %v), want nothing", again, err)
	}
	st, _ = m.Status(ctx)
	for _, s := range st {
		if !s.Applied {
			t.Errorf("%s not applied after Up", s.Name)
		}
	}
}
