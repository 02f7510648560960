package graph

import (
	"context"
	"strconv"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/loader"
)

// auditConnection maps a page of the trail, loading its indicators and
// regions in one batch each; afterCursor: the page follows a cursor
// (PageInfo.hasPreviousPage).
func auditConnection(ctx context.Context, page *hub.AuditPage, after, before *string) (*model.AuditConnection, error) {
	var indKeys, regKeys []string
	for _, e := range page.Entries {
		if e.IndicatorKey != nil {
			indKeys = append(indKeys, *e.IndicatorKey)
		}
		if e.RegionCode != nil {
			regKeys = append(regKeys, *e.RegionCode)
		}
	}
	inds, err := loader.LoadAll(ctx, loader.For(ctx).Indicator, indKeys)
	if err != nil {
		return nil, err
	}
	regs, err := loader.LoadAll(ctx, loader.For(ctx).Region, regKeys)
	if err != nil {
		return nil, err
	}
	conn := &model.AuditConnection{PageInfo: pageInfo(page.HasNextPage, page.HasPreviousPage, after != nil, before != nil), TotalCount: page.TotalCount}
	for _, e := range page.Entries {
		node := &model.AuditEntry{ID: strconv.FormatInt(e.ID, 10), At: e.At, Actor: e.Actor, ActorRole: e.ActorRole,
			Channel: e.Channel, FileName: e.FileName, Action: e.Action, Period: e.Period, OldValue: e.OldValue, NewValue: e.NewValue,
			OldStatus: e.OldStatus, NewStatus: e.NewStatus, Detail: e.Detail}
		if e.IndicatorKey != nil {
			node.Indicator, inds = inds[0], inds[1:]
		}
		if e.RegionCode != nil {
			node.Region, regs = regs[0], regs[1:]
		}
		cursor := strconv.FormatInt(e.ID, 10)
		conn.Edges = append(conn.Edges, &model.AuditEdge{Node: node, Cursor: cursor})
		if conn.PageInfo.StartCursor == nil {
			conn.PageInfo.StartCursor = &cursor
		}
		conn.PageInfo.EndCursor = &cursor
	}
	if conn.Edges == nil {
		conn.Edges = []*model.AuditEdge{}
	}
	return conn, nil
}
