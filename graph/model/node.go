package model

// Node is Relay's Node interface of the schema: a *hub.Region,
// *hub.Department, *hub.Indicator or *hub.DataValue (graph/node.go).
type Node interface{}
