package graph

import (
	"strconv"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
)

// Relay's connection arguments: first/after reads forward, last/before
// backward; after and before bound the range either way. argumentBounds
// has refused, before any resolver, a first or last outside 1–1000 and a
// first written together with last; first's schema default (100) does not
// apply when last is given.

// defaultFirst is the page of a connection asked without first or last.
const defaultFirst = 100

// valuePage reads dataValues' page arguments.
func valuePage(first *int, after *string, last *int, before *string) (hub.ValuePage, error) {
	var page hub.ValuePage
	if last != nil {
		page.Last = *last
	} else {
		page.First = defaultFirst
		if first != nil {
			page.First = *first
		}
	}
	for _, c := range []struct {
		s    *string
		into **hub.ValueKey
	}{{after, &page.After}, {before, &page.Before}} {
		if c.s == nil {
			continue
		}
		key, err := decodeCursor(*c.s)
		if err != nil {
			return page, err
		}
		*c.into = key
	}
	return page, nil
}

// auditRange reads auditLog's page arguments: the trail reads newest
// first, so after bounds the ids from above and before from below.
func auditRange(first *int, after *string, last *int, before *string) (hub.AuditRange, error) {
	var r hub.AuditRange
	if last != nil {
		r.N, r.FromOldest = *last, true
	} else {
		r.N = defaultFirst
		if first != nil {
			r.N = *first
		}
	}
	for _, c := range []struct {
		s    *string
		into *int64
	}{{after, &r.Below}, {before, &r.Above}} {
		if c.s == nil {
			continue
		}
		id, err := strconv.ParseInt(*c.s, 10, 64)
		if err != nil || id <= 0 {
			return r, hub.Errorf(hub.EINVALID, "无效的游标 / invalid cursor %q", *c.s)
		}
		*c.into = id
	}
	return r, nil
}

// pageInfo is Relay's PageInfo of a page: more edges past its end or
// before its start, or a cursor that bounds it there.
func pageInfo(more, moreBefore, afterCursor, beforeCursor bool) *model.PageInfo {
	return &model.PageInfo{HasNextPage: more || beforeCursor, HasPreviousPage: moreBefore || afterCursor}
}
