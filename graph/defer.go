package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
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
	q, named := hub.AcceptQ(accept, "multipart/mixed")
	return named && q > 0
}

// hasNext tells whether more responses follow resp.
func hasNext(resp *graphql.Response) bool { return resp != nil && resp.HasNext != nil && *resp.HasNext }

// writeIncremental answers the initial response first and every deferred
// part as gqlgen completes it, as multipart/mixed.
func writeIncremental(w http.ResponseWriter, ctx context.Context, rc *graphql.OperationContext, first *graphql.Response, next graphql.ResponseHandler) {
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
	var stripped []deferredField
	if rc.Operation != nil && len(first.Data) > 0 {
		first.Data = stripDeferred(rc, first.Data, rc.Operation.SelectionSet, nil, &stripped)
	}
	delivered := map[string]bool{}
	part(first, hasNext(first))
	for more := hasNext(first); more; {
		resp := next(ctx)
		var results []incrementalResult
		if resp != nil {
			more = hasNext(resp)
			results = append(results, incrementalResult{Data: resp.Data, Path: resp.Path, Label: resp.Label,
				Errors: resp.Errors, Extensions: resp.Extensions})
			if keys, _, err := decodeObject(resp.Data); err == nil {
				for _, k := range keys {
					delivered[deferredField{path: resp.Path, key: k}.id()] = true
				}
			}
		} else {
			more = false // gqlgen ended without a last part: close the stream
		}
		if !more {
			results = append(results, leftovers(stripped, delivered)...)
		}
		if results == nil {
			results = []incrementalResult{}
		}
		part(incrementalPayload{Incremental: results, HasNext: more}, more)
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

// The initial part must not hold the deferred fields: gqlgen writes them
// as null until their part arrives, which a client reads as the final
// value (Apollo Client then reports the result complete, with null in a
// non-null field). stripDeferred removes, from the initial data, the null
// fields that the operation selects only inside @defer fragments, and
// returns where they were. A stripped field that no later part delivers
// (gqlgen resolves plain struct fields at once even under @defer) is sent
// as null in the last part, so the client always receives every field.

// deferredField is where a field was stripped: the object's path and the
// field's response key.
type deferredField struct {
	path ast.Path
	key  string
}

func (f deferredField) id() string {
	b, _ := json.Marshal(f.path)
	return string(b) + "\x00" + f.key
}

type collectedKey struct {
	deferredOnly bool
	sels         ast.SelectionSet // the sub-selections outside @defer
}

// collectKeys gathers the response keys of sel (fragments expanded, @skip
// and @include applied, type conditions ignored) and whether each is
// selected only inside @defer.
func collectKeys(rc *graphql.OperationContext, sel ast.SelectionSet, inDefer bool, out map[string]*collectedKey, seen map[string]bool) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if !included(rc, s.Directives) {
				continue
			}
			key := s.Alias
			if key == "" {
				key = s.Name
			}
			c := out[key]
			if c == nil {
				c = &collectedKey{deferredOnly: true}
				out[key] = c
			}
			if !inDefer {
				c.deferredOnly = false
				c.sels = append(c.sels, s.SelectionSet...)
			}
		case *ast.InlineFragment:
			if included(rc, s.Directives) {
				collectKeys(rc, s.SelectionSet, inDefer || deferred(rc, s.Directives), out, seen)
			}
		case *ast.FragmentSpread:
			if !included(rc, s.Directives) || seen[s.Name] {
				continue
			}
			if def := rc.Doc.Fragments.ForName(s.Name); def != nil {
				seen[s.Name] = true
				collectKeys(rc, def.SelectionSet, inDefer || deferred(rc, s.Directives), out, seen)
				delete(seen, s.Name)
			}
		}
	}
}

func boolArgument(rc *graphql.OperationContext, d *ast.Directive, name string, def bool) bool {
	if a := d.Arguments.ForName(name); a != nil {
		if v, err := a.Value.Value(rc.Variables); err == nil {
			if b, ok := v.(bool); ok {
				return b
			}
		}
	}
	return def
}

func included(rc *graphql.OperationContext, ds ast.DirectiveList) bool {
	if d := ds.ForName("skip"); d != nil && boolArgument(rc, d, "if", false) {
		return false
	}
	if d := ds.ForName("include"); d != nil && !boolArgument(rc, d, "if", true) {
		return false
	}
	return true
}

func deferred(rc *graphql.OperationContext, ds ast.DirectiveList) bool {
	d := ds.ForName("defer")
	return d != nil && boolArgument(rc, d, "if", true)
}

// stripDeferred returns doc, the data at path selected by sel, without the
// null fields selected only under @defer, and appends them to stripped.
func stripDeferred(rc *graphql.OperationContext, doc json.RawMessage, sel ast.SelectionSet, path ast.Path, stripped *[]deferredField) json.RawMessage {
	t := bytes.TrimLeft(doc, " \t\r\n")
	if len(t) == 0 {
		return doc
	}
	switch t[0] {
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(doc, &items) != nil {
			return doc
		}
		for i := range items {
			items[i] = stripDeferred(rc, items[i], sel, append(path[:len(path):len(path)], ast.PathIndex(i)), stripped)
		}
		b, _ := json.Marshal(items)
		return b
	case '{':
		keys, vals, err := decodeObject(doc)
		if err != nil {
			return doc
		}
		coll := map[string]*collectedKey{}
		collectKeys(rc, sel, false, coll, map[string]bool{})
		kept := keys[:0:0]
		for _, k := range keys {
			c := coll[k]
			switch {
			case c == nil:
			case c.deferredOnly && bytes.Equal(vals[k], []byte("null")):
				*stripped = append(*stripped, deferredField{path: append(ast.Path{}, path...), key: k})
				continue
			case !c.deferredOnly && len(c.sels) > 0:
				vals[k] = stripDeferred(rc, vals[k], c.sels, append(path[:len(path):len(path)], ast.PathName(k)), stripped)
			}
			kept = append(kept, k)
		}
		return encodeObject(kept, vals)
	}
	return doc
}

// leftovers are the stripped fields no part delivered, as null, grouped
// by their object.
func leftovers(stripped []deferredField, delivered map[string]bool) []incrementalResult {
	var out []incrementalResult
	byPath := map[string]int{}
	for _, f := range stripped {
		if delivered[f.id()] {
			continue
		}
		p, _ := json.Marshal(f.path)
		i, ok := byPath[string(p)]
		if !ok {
			i = len(out)
			byPath[string(p)] = i
			out = append(out, incrementalResult{Data: json.RawMessage("{}"), Path: f.path})
		}
		out[i].Data, _ = mergeObjects(out[i].Data, json.RawMessage(`{`+string(mustJSON(f.key))+`:null}`))
	}
	return out
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
