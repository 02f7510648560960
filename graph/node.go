package graph

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/loader"
)

// Relay's Node. Region, Department and Indicator have opaque global ids:
// the unpadded base64url of "Type:key" (they start with a letter, so they
// are never all digits). A DataValue's id is its version id, the number
// that transition, publish and setReleasable take: it stays what the API
// always answered, and being all digits it cannot collide with the others.
// AuditEntry, ValidationRule and Publication are not nodes: their ids are
// numbers too, and clients do not cache them.
//
// node(id:) reads through the same services and loaders as every other
// path: a data value through ValueService.FindValues under the caller's
// row policies, the catalogue through its loaders. What does not exist and
// what the caller may not read are both null, without an error, so that
// node tells nothing of what it hides. An id that is no id of this hub is
// BAD_USER_INPUT.

const (
	nodeRegion     = "Region"
	nodeDepartment = "Department"
	nodeIndicator  = "Indicator"
)

// globalID is the global id of the object of type typ with key.
func globalID(typ, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + key))
}

func globalIDs[T any](objs []*T, typ string, key func(*T) string) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = globalID(typ, key(o))
	}
	return out
}

// nodeRef is a decoded global id: a type and a key, or a value's version id.
type nodeRef struct {
	typ, key string
	value    int
}

func decodeGlobalID(id string) (nodeRef, error) {
	bad := hub.Errorf(hub.EINVALID, "无效的全局 ID %q / %q is not a global id of this hub", id, id)
	if id != "" && strings.Trim(id, "0123456789") == "" {
		n, err := strconv.Atoi(id)
		if err != nil || n <= 0 {
			return nodeRef{}, bad
		}
		return nodeRef{typ: "DataValue", value: n}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return nodeRef{}, bad
	}
	typ, key, ok := strings.Cut(string(raw), ":")
	if !ok || key == "" {
		return nodeRef{}, bad
	}
	switch typ {
	case nodeRegion, nodeDepartment, nodeIndicator:
		return nodeRef{typ: typ, key: key}, nil
	}
	return nodeRef{}, bad
}

// loadNodes returns the object of each id, nil where it does not exist or
// the caller may not read it, in one read per type.
func (r *Resolver) loadNodes(ctx context.Context, ids []string) ([]model.Node, error) {
	refs := make([]nodeRef, len(ids))
	byType := map[string][]string{}
	var valueIDs []int
	for i, id := range ids {
		ref, err := decodeGlobalID(id)
		if err != nil {
			return nil, err
		}
		refs[i] = ref
		if ref.typ == "DataValue" {
			valueIDs = append(valueIDs, ref.value)
		} else {
			byType[ref.typ] = append(byType[ref.typ], ref.key)
		}
	}
	found := map[string]model.Node{}
	key := func(typ, k string) string { return typ + ":" + k }
	if len(valueIDs) > 0 {
		conn, err := r.Values.FindValues(ctx, hub.ValueFilter{IDs: valueIDs}, hub.ValuePage{First: hub.MaxPageSize, SkipCount: true})
		if err != nil {
			return nil, err
		}
		if err := attachValueFields(ctx, conn.Values); err != nil {
			return nil, err
		}
		for _, v := range conn.Values {
			found[key("DataValue", strconv.Itoa(v.ID))] = v
		}
	}
	if keys := byType[nodeRegion]; len(keys) > 0 {
		rs, err := loader.LoadAll(ctx, loader.For(ctx).Region, keys)
		if err != nil {
			return nil, err
		}
		for i, x := range rs {
			if x != nil {
				found[key(nodeRegion, keys[i])] = x
			}
		}
	}
	if keys := byType[nodeDepartment]; len(keys) > 0 {
		ds, err := loader.LoadAll(ctx, loader.For(ctx).Department, keys)
		if err != nil {
			return nil, err
		}
		for i, x := range ds {
			if x != nil {
				found[key(nodeDepartment, keys[i])] = x
			}
		}
	}
	if keys := byType[nodeIndicator]; len(keys) > 0 {
		is, err := loader.LoadAll(ctx, loader.For(ctx).Indicator, keys)
		if err != nil {
			return nil, err
		}
		for i, x := range is {
			if x != nil {
				found[key(nodeIndicator, keys[i])] = x
			}
		}
	}
	out := make([]model.Node, len(refs))
	for i, ref := range refs {
		k := key(ref.typ, ref.key)
		if ref.typ == "DataValue" {
			k = key(ref.typ, strconv.Itoa(ref.value))
		}
		if n, ok := found[k]; ok {
			out[i] = n
		}
	}
	return out, nil
}
