// Package trusted is the operator's allow-list of GraphQL documents
// ("trusted documents", persisted operations): reading the manifests that
// clients' build tools write, and finding a document by its hash or its
// text. Which callers it binds and how a request names a document is the
// GraphQL endpoint's business (graph).
package trusted

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Documents is an allow-list of GraphQL documents. A document is known by
// the SHA-256 of its text (lower-case hex, what Apollo's persisted queries
// send as extensions.persistedQuery.sha256Hash) and by the id its manifest
// gives it (graphql-codegen's client preset hashes with SHA-1 by default;
// an id may carry an algorithm prefix such as "sha256:").
type Documents struct {
	byID   map[string]string // id or SHA-256 → text
	bySHA  map[string]bool   // SHA-256 of every text
	format string
}

// Len is the number of documents.
func (d *Documents) Len() int { return len(d.bySHA) }

// Format names the manifest's format ("apollo-persisted-query-manifest"
// or "graphql-codegen persisted-documents").
func (d *Documents) Format() string { return d.format }

// ByHash returns the document an id or SHA-256 names.
func (d *Documents) ByHash(id string) (string, bool) {
	text, ok := d.byID[strings.ToLower(strings.TrimSpace(id))]
	return text, ok
}

// Allows reports whether text is one of the documents, byte for byte.
func (d *Documents) Allows(text string) bool { return d.bySHA[SHA256(text)] }

// Texts returns every document, in the order of their SHA-256.
func (d *Documents) Texts() []string {
	var out []string
	seen := map[string]bool{}
	for _, text := range d.byID {
		if h := SHA256(text); !seen[h] {
			seen[h] = true
			out = append(out, text)
		}
	}
	sort.Slice(out, func(i, j int) bool { return SHA256(out[i]) < SHA256(out[j]) })
	return out
}

// SHA256 is the hash a document is known by: lower-case hex of the
// SHA-256 of its text.
func SHA256(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// apolloManifest is Apollo's persisted query manifest
// (@apollo/generate-persisted-query-manifest).
type apolloManifest struct {
	Format     string `json:"format"`
	Version    int    `json:"version"`
	Operations []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
		Body string `json:"body"`
	} `json:"operations"`
}

// ReadFile reads a manifest file (Read).
func ReadFile(path string) (*Documents, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	defer f.Close()
	d, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("trusted documents %s: %w", path, err)
	}
	return d, nil
}

// maxManifest bounds a manifest file (64 MiB: tens of thousands of
// operations).
const maxManifest = 64 << 20

// Read reads a manifest in either format:
//   - Apollo's: {"format":"apollo-persisted-query-manifest","version":1,
//     "operations":[{"id","name","type","body"}]}; each id must be the
//     SHA-256 of its body, as Apollo's tools make it;
//   - graphql-codegen client preset's persisted-documents.json:
//     {"<hash>": "<document>"}, whatever hash the preset was set to.
//
// An empty manifest, an empty document or two documents under one id are
// refused: the operator's file is wrong, and the hub should not start.
func Read(r io.Reader) (*Documents, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxManifest {
		return nil, fmt.Errorf("the manifest is larger than %d MiB", maxManifest>>20)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	d := &Documents{byID: map[string]string{}, bySHA: map[string]bool{}}
	if _, ok := probe["format"]; ok {
		var m apolloManifest
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("apollo manifest: %v", err)
		}
		if m.Format != "apollo-persisted-query-manifest" || m.Version != 1 {
			return nil, fmt.Errorf("format %q version %d: only apollo-persisted-query-manifest version 1 is known", m.Format, m.Version)
		}
		d.format = m.Format
		for i, op := range m.Operations {
			if want := SHA256(op.Body); !strings.EqualFold(op.ID, want) {
				return nil, fmt.Errorf("operation %d (%s): id %q is not the SHA-256 of its body (%s)", i, op.Name, op.ID, want)
			}
			if err := d.add(op.ID, op.Body); err != nil {
				return nil, fmt.Errorf("operation %d (%s): %w", i, op.Name, err)
			}
		}
	} else {
		d.format = "graphql-codegen persisted-documents"
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("persisted documents: every value must be a document (a string): %v", err)
		}
		ids := make([]string, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if err := d.add(id, m[id]); err != nil {
				return nil, fmt.Errorf("document %q: %w", id, err)
			}
		}
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("the manifest lists no document")
	}
	return d, nil
}

func (d *Documents) add(id, text string) error {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" || strings.TrimSpace(text) == "" {
		return fmt.Errorf("an empty id or document")
	}
	sha := SHA256(text)
	for _, key := range []string{id, sha} {
		if old, ok := d.byID[key]; ok && old != text {
			return fmt.Errorf("id %s names two different documents", key)
		}
		d.byID[key] = text
	}
	d.bySHA[sha] = true
	return nil
}
