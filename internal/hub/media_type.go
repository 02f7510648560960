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
	gq, gExplicit := AcceptQ(accept, MediaGraphQLResponse)
	jq, _ := AcceptQ(accept, MediaJSON)
	switch {
	case gq <= 0 && jq <= 0:
		return MediaJSON
	case gq != jq:
		if gq > jq {
			return MediaGraphQLResponse
		}
		return MediaJSON
	case gExplicit:
		return MediaGraphQLResponse
	default:
		return MediaJSON
	}
}

// AcceptQ returns the q-value the Accept header accept gives mediaType
// (type/subtype): that of the most specific range that matches it — the
// type itself, type/*, */* — the highest of equally specific ones, and 0
// when none matches. explicit says the type itself is named. The one
// reading of Accept of the GraphQL responses, the error bodies, @defer's
// multipart/mixed and the dashboard's error pages.
func AcceptQ(accept, mediaType string) (q float64, explicit bool) {
	family, _, _ := strings.Cut(mediaType, "/")
	family += "/*"
	specificity := -1
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		spec := -1
		switch mt {
		case mediaType:
			spec = 2
		case family:
			spec = 1
		case "*/*":
			spec = 0
		}
		if spec < 0 || spec < specificity {
			continue
		}
		pq := 1.0
		if s, ok := params["q"]; ok {
			pq = parseQ(s)
		}
		if spec > specificity || pq > q {
			q, specificity = pq, spec
		}
	}
	return q, specificity == 2
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
