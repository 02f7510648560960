// Package hub holds the domain of the Six Protections Hub: regions,
// departments, indicators, periods, data values, principals and the errors
// the services return. It imports no other package of the project; the
// services that implement its interfaces live in their own packages.
package hub
