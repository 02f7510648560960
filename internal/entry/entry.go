// Package entry decides what writing values does, for submitValues and
// imports alike: Check makes every check of an input that needs no stored
// value, and Decide plans the writes over the heads storage read. Both are
// functions of plain values; internal/postgres reads what they need and
// writes the plan set-based, in one transaction with the principal set.
//
// Each check is made here once. The database still enforces access (row
// policies) and the workflow (trigger); the validation rules run after
// the writes (internal/validation), because they read the values written.
package entry

import (
	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// Entry is an input that passed Check, with what Check looked up.
type Entry struct {
	// At is the caller's number for the input, the Index of its conflicts.
	At int
	// Input has its Qualifier set (EXACT when it was empty).
	Input     hub.ValueInput
	Indicator *hub.Indicator
	Region    *hub.Region
}

// Key is the value the entry writes.
func (e *Entry) Key() hub.ValueKey {
	return hub.ValueKey{Indicator: e.Input.Indicator, Period: e.Input.Period, Region: e.Input.Region}
}

// Check applies, in this order, the rules an input must meet before its
// head is read: the indicator and the region exist; the indicator is not
// retired (RETIRED); access.WriteRefusal
// (department, region, derived indicator); the region is of the
// indicator's collection level; the period of its period type
// (hub.CheckPeriod); the value of its value type (hub.CheckValue); the
// qualifier is one of EXACT, AT_LEAST, APPROX or empty. It returns the
// inputs that pass and a conflict, at at[i], for each one that does not.
func Check(p *hub.Principal, indicators map[string]*hub.Indicator, regions map[string]*hub.Region,
	batch []hub.ValueInput, at []int) ([]Entry, []hub.Conflict) {
	entries := make([]Entry, 0, len(batch))
	var conflicts []hub.Conflict
	for i, v := range batch {
		e := Entry{At: at[i], Input: v, Indicator: indicators[v.Indicator], Region: regions[v.Region]}
		if f, err := check(p, &e); err != nil {
			conflicts = append(conflicts, conflict(e.At, f, err))
			continue
		}
		if e.Input.Qualifier == "" {
			e.Input.Qualifier = hub.Exact
		}
		entries = append(entries, e)
	}
	return entries, conflicts
}

func check(p *hub.Principal, e *Entry) (hub.ValueField, error) {
	ind, reg, v := e.Indicator, e.Region, e.Input
	switch {
	case ind == nil:
		return hub.FieldIndicator, hub.Errorf(hub.ENOTFOUND, "指标 %q 不存在 / no indicator %q", v.Indicator, v.Indicator)
	case reg == nil:
		return hub.FieldRegion, hub.Errorf(hub.ENOTFOUND, "地区 %q 不存在 / no region %q", v.Region, v.Region)
	case ind.RetiredAt != nil:
		return hub.FieldIndicator, hub.Errorf(hub.ERETIRED, "指标 %s 已于 %s 停用，不再接收数据 / indicator %s was retired on %s: it takes no new values",
			ind.Key, ind.RetiredAt.Format("2006-01-02"), ind.Key, ind.RetiredAt.Format("2006-01-02"))
	}
	if f, err := access.WriteRefusal(p, ind, reg); err != nil {
		return f, err
	}
	if reg.Level != ind.CollectionLevel {
		return hub.FieldRegion, hub.Errorf(hub.EINVALID, "%s 按 %s 级采集，%s 是 %s 级 / %s is collected per %s, %s is a %s",
			ind.Key, ind.CollectionLevel, v.Region, reg.Level, ind.Key, ind.CollectionLevel, v.Region, reg.Level)
	}
	if err := hub.CheckPeriod(ind, v.Period); err != nil {
		return hub.FieldPeriod, err
	}
	if err := hub.CheckValue(ind, v.Value); err != nil {
		return hub.FieldValue, err
	}
	if v.Qualifier != "" && !v.Qualifier.Valid() {
		return hub.FieldQualifier, hub.Errorf(hub.EINVALID, "无效的限定“%s”：应为 精确（EXACT）、至少（AT_LEAST）或 约（APPROX）/ invalid qualifier %q: EXACT, AT_LEAST or APPROX", v.Qualifier, v.Qualifier)
	}
	return "", nil
}

// Head is the stored head of a key, as Decide needs it.
type Head struct {
	ID        int64
	Value     *float64
	Qualifier hub.Qualifier
	Comment   *string
	Status    hub.Status
	Version   int
}

// Action is what writing an entry means.
type Action int

// Actions.
const (
	// Create inserts a DRAFT where the key has no head.
	Create Action = iota + 1
	// Update changes a working copy (DRAFT, SUBMITTED, RETURNED) in place;
	// what that does to its status is the trigger's (workflow_edits).
	Update
	// Correct retires a released head (it stays released) and inserts a
	// new DRAFT head with the next version.
	Correct
)

// Step is an entry and how to write it.
type Step struct {
	Entry
	Action Action
	// Head is the id of the head Update changes or Correct retires.
	Head int64
	// Version is the version of the row Create or Correct inserts.
	Version int
}

// Plan is what a batch does: the steps to write, the entries that change
// nothing, and the conflicts found over the heads.
type Plan struct {
	Steps                       []Step
	Created, Updated, Unchanged int
	Conflicts                   []hub.Conflict
}

// Decide plans entries over heads, the stored head of each key that has
// one, and versions, the highest version of each key without a head that
// has history. An expectedVersion other than the head's (0 for none) is a
// CONFLICT; an entry equal to its head (value, qualifier, comment) is
// unchanged, so that resubmitting is idempotent.
func Decide(entries []Entry, heads map[hub.ValueKey]Head, versions map[hub.ValueKey]int) Plan {
	var pl Plan
	for _, e := range entries {
		v := e.Input
		h, exists := heads[e.Key()]
		if v.ExpectedVersion != nil && *v.ExpectedVersion != h.Version {
			pl.Conflicts = append(pl.Conflicts, conflict(e.At, hub.FieldVersion, hub.Errorf(hub.ECONFLICT,
				"版本已变更（现为 %d，预期 %d）/ the value changed: version %d, expected %d", h.Version, *v.ExpectedVersion, h.Version, *v.ExpectedVersion)))
			continue
		}
		switch {
		case exists && eqFloat(h.Value, v.Value) && h.Qualifier == v.Qualifier && eqString(h.Comment, v.Comment):
			pl.Unchanged++
		case exists && (h.Status == hub.Approved || h.Status == hub.Published):
			pl.Steps = append(pl.Steps, Step{Entry: e, Action: Correct, Head: h.ID, Version: h.Version + 1})
			pl.Updated++
		case exists:
			pl.Steps = append(pl.Steps, Step{Entry: e, Action: Update, Head: h.ID})
			pl.Updated++
		default:
			pl.Steps = append(pl.Steps, Step{Entry: e, Action: Create, Version: versions[e.Key()] + 1})
			pl.Created++
		}
	}
	return pl
}

// Refused is the conflict of a step the database did not write although
// the checks allowed it (a row policy filtered it out).
func Refused(s Step) hub.Conflict {
	return conflict(s.At, hub.FieldValue, hub.Errorf(hub.EFORBIDDEN, "无权修改 / not allowed to change this value"))
}

// Failed is the conflict of a write statement that failed with err, at its
// first step, or false when the failure is not the input's (internal,
// unavailable): then the write fails as a whole.
func Failed(s Step, err error) (hub.Conflict, bool) {
	if code := hub.ErrorCode(err); code == hub.EINTERNAL || code == hub.EUNAVAILABLE {
		return hub.Conflict{}, false
	}
	return conflict(s.At, hub.FieldValue, err), true
}

func conflict(at int, f hub.ValueField, err error) hub.Conflict {
	return hub.Conflict{Index: at, Field: f, Code: hub.ErrorCode(err), Message: hub.ErrorMessage(err)}
}

func eqFloat(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func eqString(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
