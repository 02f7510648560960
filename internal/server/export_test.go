package server

// GraphiQLExamples are the GraphiQL page's tabs per role, for the tests of
// package server_test that run them against the demo.
var GraphiQLExamples = graphiqlExamples
