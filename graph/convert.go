package graph

import (
	"strconv"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
)

// keysOf returns key(o) for every o, for loading a field of many parents.
func keysOf[T any](objs []T, key func(T) string) []string {
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = key(o)
	}
	return keys
}

// countsOf picks one count of each region's tree counts.
func countsOf(cs []hub.TreeCounts, pick func(hub.TreeCounts) int) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = pick(c)
	}
	return out
}

// valueConnection is a page of values; afterCursor: the page follows a
// cursor (PageInfo.hasPreviousPage).
func valueConnection(c *hub.ValueConnection, afterCursor, beforeCursor bool) *model.DataValueConnection {
	out := &model.DataValueConnection{
		Edges:      make([]*model.DataValueEdge, len(c.Values)),
		PageInfo:   pageInfo(c.HasNextPage, c.HasPreviousPage, afterCursor, beforeCursor),
		TotalCount: c.TotalCount,
	}
	for i, v := range c.Values {
		out.Edges[i] = &model.DataValueEdge{Node: v, Cursor: encodeCursor(v.Key())}
	}
	if n := len(out.Edges); n > 0 {
		out.PageInfo.StartCursor = &out.Edges[0].Cursor
		out.PageInfo.EndCursor = &out.Edges[n-1].Cursor
	}
	return out
}

// notImplemented answers fields whose service is still being built.
func notImplemented(field string) error {
	return hub.Errorf(hub.EINTERNAL, "%s 尚未实现 / %s is not implemented yet", field, field)
}

// parseIDs reads value ids.
func parseIDs(ids []string) ([]int, error) {
	out := make([]int, len(ids))
	for i, id := range ids {
		n, err := strconv.Atoi(id)
		if err != nil {
			return nil, hub.Errorf(hub.EINVALID, "无效的数据 ID %q / invalid value id %q", id, id)
		}
		out[i] = n
	}
	return out, nil
}
