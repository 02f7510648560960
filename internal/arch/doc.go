// Package arch holds no code: its tests keep the code's shape as
// docs/architecture.md states it (every package listed with its job, the
// import graph, and the import rules of STYLE.md).
package arch
