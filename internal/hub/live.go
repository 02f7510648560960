package hub

// Change is what the database says has changed, as the live updates'
// listener receives it (migration 00064): the ids of the data-value rows a
// committed statement wrote and their indicators' keys, never a value.
// Whoever is told of a change reads the rows again under its own principal.
type Change struct {
	// ValueIDs are the rows written.
	ValueIDs []int
	// Indicators are the keys of their indicators.
	Indicators []string
	// Many: a bulk statement wrote more rows than a notification carries;
	// ValueIDs is empty and readers should read again what they show.
	Many bool
	// Resync: the listener lost its connection and may have missed
	// changes; readers should read again what they show.
	Resync bool
}
