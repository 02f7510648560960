package hub

import (
	"mime"
	"strconv"
	"strings"
)

// Media types of the hub's GraphQL responses and of its error bodies,
// which have the shape of a GraphQL response on every route (GraphQL over
// HTTP, the spec draft).
const (
	MediaGraphQLResponse = "application/graphql-response+json"
	MediaJSON            = "application/json"
)

// ResponseMediaType returns the media type of a GraphQL response (or of an
// error body of the HTTP edge) to a request with the Accept header accept:
// application/graphql-response+json or application/json, whichever has
// the higher q-value. With equal
// q-values the one named explicitly wins, and of two named explicitly
// application/graphql-response+json. A missing Accept, */* or application/*
// alone, and an Accept that allows neither, answer application/json, as
// the spec asks for compatibility with clients that predate it.
func ResponseMediaType(accept string) string {
	type score struct {
		q        float64
		explicit bool
	}
	best := map[string]score{MediaGraphQLResponse: {q: -1}, MediaJSON: {q: -1}}
	specificity := map[string]int{MediaGraphQLResponse: -1, MediaJSON: -1}
	for _, part := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			q = parseQ(s)
		}
		for candidate := range best {
			spec := -1
			switch {
			case mediaType == candidate:
				spec = 2
			case mediaType == "application/*":
				spec = 1
			case mediaType == "*/*":
				spec = 0
			}
			// The most specific range that matches decides the q-value.
			if spec > specificity[candidate] {
				specificity[candidate] = spec
				best[candidate] = score{q: q, explicit: spec == 2}
			}
		}
	}
	g, j := best[MediaGraphQLResponse], best[MediaJSON]
	switch {
	case g.q <= 0 && j.q <= 0:
		return MediaJSON
	case g.q != j.q:
		if g.q > j.q {
			return MediaGraphQLResponse
		}
		return MediaJSON
	case g.explicit:
		return MediaGraphQLResponse
	default:
		return MediaJSON
	}
}

// parseQ reads a q-value (0 to 1, at most three decimals); a malformed
// one counts as 0.
func parseQ(s string) float64 {
	q, err := strconv.ParseFloat(s, 64)
	if err != nil || q < 0 || q > 1 {
		return 0
	}
	return q
}
