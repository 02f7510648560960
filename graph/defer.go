package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// @defer (incremental delivery). gqlgen executes a deferred fragment after
// the rest of the operation and hands its result to the transport as one
// more response. httpTransport answers them in one of two ways:
//
//   - a client that accepts multipart/mixed (Apollo Client and urql send
//     it with a deferred operation) gets the initial part at once and each
//     deferred part as it is ready, in the format of the incremental
//     delivery RFC of graphql-over-http with deferSpec=20220824, which
//     both clients read (boundary "-"; later parts carry "incremental"
//     and "hasNext");
//   - any other client gets one ordinary response with the deferred parts
//     merged in at their paths, as if the fragment had no @defer (the
//     spec lets a server ignore the directive). A non-null field is then
//     never left null.
//
// Limits, authentication, the error presenter and request errors are the
// same as for every other request: they all act before execution starts.

// multipartBoundary is the boundary of multipart/mixed responses.
const multipartBoundary = "-"

// acceptsMultipartMixed tells whether Accept lists multipart/mixed with a
// q-value above 0.
func acceptsMultipartMixed(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || mediaType != "multipart/mixed" {
			continue
		}
		if q, ok := params["q"]; ok && parseQValue(q) <= 0 {
			continue
		}
		return true
	}
	return false
}

func parseQValue(s string) float64 {
	var q float64
	if _, err := fmt.Sscanf(s, "%g", &q); err != nil {
		return 0
	}
	return q
}

// hasNext tells whether more responses follow resp.
func hasNext(resp *graphql.Response) bool { return resp != nil && resp.HasNext != nil && *resp.HasNext }

// writeIncremental answers the initial response first and every deferred
// part as gqlgen completes it, as multipart/mixed.
func writeIncremental(w http.ResponseWriter, ctx context.Context, first *graphql.Response, next graphql.ResponseHandler) {
	w.Header().Set("Content-Type", `multipart/mixed; boundary="`+multipartBoundary+`"; deferSpec=20220824`)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w)
	part := func(v any, more bool) {
		var b bytes.Buffer
		fmt.Fprintf(&b, "--%s\r\nContent-Type: application/json; charset=utf-8\r\n\r\n", multipartBoundary)
		_ = json.NewEncoder(&b).Encode(v)
		if more {
			b.WriteString("\r\n")
		} else {
			fmt.Fprintf(&b, "\r\n--%s--\r\n", multipartBoundary)
		}
		_, _ = w.Write(b.Bytes())
		_ = flush.Flush()
	}
	part(first, hasNext(first))
	for more := hasNext(first); more; {
		resp := next(ctx)
		if resp == nil {
			// gqlgen ended without a last part: close the stream.
			part(incrementalPayload{Incremental: []incrementalResult{}}, false)
			return
		}
		more = hasNext(resp)
		part(incrementalPayload{Incremental: []incrementalResult{{Data: resp.Data, Path: resp.Path, Label: resp.Label,
			Errors: resp.Errors, Extensions: resp.Extensions}}, HasNext: more}, more)
	}
}

// incrementalPayload is a subsequent part of a multipart/mixed response.
type incrementalPayload struct {
	Incremental []incrementalResult `json:"incremental"`
	HasNext     bool                `json:"hasNext"`
}

type incrementalResult struct {
	Data       json.RawMessage `json:"data"`
	Path       ast.Path        `json:"path"`
	Label      string          `json:"label,omitempty"`
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

// mergeDeferred reads every deferred part and merges it into first, for a
// client that does not take multipart/mixed. The order of fields stays
// the order of the response.
func mergeDeferred(ctx context.Context, first *graphql.Response, next graphql.ResponseHandler) *graphql.Response {
	for more := hasNext(first); more; {
		resp := next(ctx)
		if resp == nil {
			break
		}
		more = hasNext(resp)
		first.Errors = append(first.Errors, resp.Errors...)
		if len(resp.Data) == 0 || bytes.Equal(resp.Data, []byte("null")) {
			continue
		}
		merged, err := mergeAt(first.Data, resp.Path, resp.Data)
		if err != nil {
			first.Errors = append(first.Errors, &gqlerror.Error{Message: "deferred part could not be merged", Path: resp.Path})
			continue
		}
		first.Data = merged
	}
	first.HasNext = nil
	return first
}

// mergeAt returns doc with the fields of the object add merged into the
// object at path. Only the objects and lists on the path are decoded; the
// rest stays as it was written.
func mergeAt(doc json.RawMessage, path ast.Path, add json.RawMessage) (json.RawMessage, error) {
	if len(path) == 0 {
		return mergeObjects(doc, add)
	}
	switch el := path[0].(type) {
	case ast.PathName:
		keys, vals, err := decodeObject(doc)
		if err != nil {
			return nil, err
		}
		v, ok := vals[string(el)]
		if !ok || bytes.Equal(v, []byte("null")) {
			return doc, nil // the parent is null (an error nulled it): nothing to merge into
		}
		if vals[string(el)], err = mergeAt(v, path[1:], add); err != nil {
			return nil, err
		}
		return encodeObject(keys, vals), nil
	case ast.PathIndex:
		var items []json.RawMessage
		if err := json.Unmarshal(doc, &items); err != nil {
			return nil, err
		}
		i := int(el)
		if i < 0 || i >= len(items) {
			return nil, fmt.Errorf("index %d out of range", i)
		}
		if bytes.Equal(items[i], []byte("null")) {
			return doc, nil
		}
		var err error
		if items[i], err = mergeAt(items[i], path[1:], add); err != nil {
			return nil, err
		}
		return json.Marshal(items)
	}
	return nil, fmt.Errorf("bad path element %v", path[0])
}

func mergeObjects(doc, add json.RawMessage) (json.RawMessage, error) {
	keys, vals, err := decodeObject(doc)
	if err != nil {
		return nil, err
	}
	addKeys, addVals, err := decodeObject(add)
	if err != nil {
		return nil, err
	}
	for _, k := range addKeys {
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = addVals[k]
	}
	return encodeObject(keys, vals), nil
}

// decodeObject reads a JSON object's keys in order and their raw values.
func decodeObject(doc json.RawMessage) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("not an object")
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, ok := vals[k]; !ok {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, nil, err
	}
	return keys, vals, nil
}

func encodeObject(keys []string, vals map[string]json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vals[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}
