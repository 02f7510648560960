package hub

import "context"

// ValueField names the part of a ValueInput a conflict is about, so that
// an import can point at a spreadsheet column.
type ValueField string

// The fields of a ValueInput.
const (
	FieldIndicator ValueField = "indicator"
	FieldRegion    ValueField = "region"
	FieldPeriod    ValueField = "period"
	FieldValue     ValueField = "value"
	FieldQualifier ValueField = "qualifier"
	FieldVersion   ValueField = "expectedVersion"
	FieldComment   ValueField = "comment"
)

// BatchWriter checks and writes batches of values inside the transaction
// of a BulkSubmitService, with the pipeline of SubmitValues.
type BatchWriter interface {
	// Write checks batch and, while no conflict has been seen in the
	// transaction, writes it. at[i] is the caller's number for batch[i]
	// (an import's row), the Index of its conflicts. A batch holds a key
	// (indicator, region, period) at most once.
	Write(ctx context.Context, batch []ValueInput, at []int) (*SubmitResult, error)
	// Validate applies the validation rules, as SubmitValues does, to
	// every value written through the writer, once all batches are in (a
	// rule may read indicators of different batches). A BLOCK violation
	// is a conflict (VALIDATION) and the transaction will roll back.
	Validate(ctx context.Context) (*SubmitResult, error)
}

// BulkSubmitService writes many values in one transaction, batch by batch,
// with the checks of SubmitService; imports use it to stream a file
// without holding it in memory and without writing half of it.
type BulkSubmitService interface {
	// SubmitBulk opens one transaction as the principal of ctx and calls
	// fill with a writer for it. The transaction commits only when fill
	// returns nil, no batch had a conflict and dryRun is false; otherwise
	// nothing is written. It reports whether it committed.
	SubmitBulk(ctx context.Context, dryRun bool, fill func(w BatchWriter) error) (committed bool, err error)
}
