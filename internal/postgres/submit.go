package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/sixprot/hub/internal/hub"
)

// SubmitService writes values as the principal: the policies decide who
// may insert and update; the write pipeline (internal/entry, writer)
// checks values and versions and reports every refusal by input.
type SubmitService struct{ db *DB }

// NewSubmitService returns the submit service on db (the hub_app pool).
func NewSubmitService(db *DB) *SubmitService { return &SubmitService{db: db} }

var _ hub.SubmitService = (*SubmitService)(nil)

// errRollback ends a transaction that has conflicts or is a dry run.
var errRollback = errors.New("rollback")

// SubmitValues writes in, all or nothing: with any conflict nothing is
// written and the result lists the conflicts by input index. A caller who
// may not enter values at all (not an analyst) gets FORBIDDEN instead. The values
// are then checked against the validation rules that read them, in the
// same transaction: a BLOCK violation is a conflict (code VALIDATION),
// WARN violations come back as warnings, on dry runs too.
//
// It runs on the writer of SubmitBulk, so that the number of statements
// does not grow with the number of inputs. A key that appears more than
// once is written in input order, as if the inputs came one after the
// other: its n-th occurrence goes into round n, and each round is one
// batch of the writer.
func (s *SubmitService) SubmitValues(ctx context.Context, in []hub.ValueInput, dryRun bool) (*hub.SubmitResult, error) {
	res := &hub.SubmitResult{}
	var written []writtenValue
	_, err := s.write(ctx, dryRun, func(w *writer) error {
		for _, round := range rounds(in) {
			batch := make([]hub.ValueInput, len(round))
			for j, i := range round {
				batch[j] = in[i]
			}
			br, wv, err := w.write(ctx, batch, round)
			if err != nil {
				return err
			}
			res.Created += br.Created
			res.Updated += br.Updated
			res.Unchanged += br.Unchanged
			res.Conflicts = append(res.Conflicts, br.Conflicts...)
			written = append(written, wv...)
		}
		v, err := w.Validate(ctx)
		if err != nil {
			return err
		}
		res.Conflicts, res.Warnings = append(res.Conflicts, v.Conflicts...), v.Warnings
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("submit values: %w", err)
	}
	if len(res.Conflicts) > 0 {
		slices.SortStableFunc(res.Conflicts, func(a, b hub.Conflict) int { return a.Index - b.Index })
		res.Created, res.Updated = 0, 0
		return res, nil
	}
	slices.SortStableFunc(written, func(a, b writtenValue) int { return a.at - b.at })
	for _, wv := range written {
		res.Values = append(res.Values, wv.v)
	}
	return res, nil
}

// rounds splits the input indexes so that no round holds a key twice:
// the n-th occurrence of a key is in round n, in input order.
func rounds(in []hub.ValueInput) [][]int {
	count := make(map[hub.ValueKey]int, len(in))
	var out [][]int
	for i, v := range in {
		k := hub.ValueKey{Indicator: v.Indicator, Period: v.Period, Region: v.Region}
		n := count[k]
		count[k] = n + 1
		if n == len(out) {
			out = append(out, nil)
		}
		out[n] = append(out[n], i)
	}
	return out
}

// source is data_values.source for a write through the channel of ctx:
// "import" for imports, "api" otherwise.
func source(ctx context.Context) string {
	if kind, _ := hub.SplitChannel(hub.ChannelFrom(ctx)); kind == hub.ChannelImport {
		return "import"
	}
	return "api"
}
