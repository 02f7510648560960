package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// SubmitService writes values as the principal: the policies decide who
// may insert and update; the service checks values and versions and
// reports every refusal by input index.
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
// It runs set-based on the writer of SubmitBulk, so that the number of
// statements does not grow with the number of inputs. A key that appears
// more than once is written in input order, as if the inputs came one
// after the other: its n-th occurrence goes into round n, and each round
// is one batch (heads, inserts and updates in a statement each).
func (s *SubmitService) SubmitValues(ctx context.Context, in []hub.ValueInput, dryRun bool) (*hub.SubmitOutcome, error) {
	if err := access.EntryBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return nil, err
	}
	res := &hub.SubmitOutcome{}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		w := &batchWriter{tx: tx, source: source(ctx), regions: map[string]*hub.Region{}, rowwise: true}
		if err := w.loadIndicators(ctx); err != nil {
			return err
		}
		var written []writtenValue
		for _, round := range rounds(in) {
			batch := make([]hub.ValueInput, len(round))
			for j, i := range round {
				batch[j] = in[i]
			}
			w.written = w.written[:0]
			br, err := w.WriteBatch(ctx, batch)
			if err != nil {
				return err
			}
			res.Created += br.Created
			res.Updated += br.Updated
			res.Unchanged += br.Unchanged
			for _, c := range br.Conflicts {
				res.Conflicts = append(res.Conflicts, hub.SubmitConflict{Index: round[c.Index], Code: c.Code, Message: c.Message})
			}
			for _, wv := range w.written {
				written = append(written, writtenValue{i: round[wv.i], v: wv.v})
			}
			if w.aborted {
				// A failed statement aborts the transaction: stop here.
				break
			}
		}
		sort.SliceStable(res.Conflicts, func(a, b int) bool { return res.Conflicts[a].Index < res.Conflicts[b].Index })
		sort.SliceStable(written, func(a, b int) bool { return written[a].i < written[b].i })
		for _, wv := range written {
			res.Values = append(res.Values, wv.v)
		}
		if len(res.Conflicts) == 0 {
			if err := validateSubmission(ctx, tx, in, w.regions, res); err != nil {
				return err
			}
		}
		if len(res.Conflicts) > 0 || dryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("submit values: %w", err)
	}
	if len(res.Conflicts) > 0 {
		res.Created, res.Updated, res.Values = 0, 0, nil
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

func eqFloat(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func eqString(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// source is data_values.source for a write through the channel of ctx:
// "import" for imports, "api" otherwise.
func source(ctx context.Context) string {
	if kind, _ := hub.SplitChannel(hub.ChannelFrom(ctx)); kind == hub.ChannelImport {
		return "import"
	}
	return "api"
}
