package graph

import (
	"strconv"
	"time"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
)

func newUser(in model.NewUserInput) hub.NewUser {
	u := hub.NewUser{Name: in.Name, Role: in.Role, Department: in.Department}
	if in.Region != nil {
		u.Region = *in.Region
	}
	if in.Service != nil {
		u.Service = *in.Service
	}
	return u
}

func userFilter(role *hub.Role, region *string, first *int, after *string) hub.UserFilter {
	f := hub.UserFilter{Role: role, Region: region, First: defaultPageSize}
	if first != nil {
		f.First = *first
	}
	if after != nil {
		f.After = *after
	}
	return f
}

// days is a lifetime of n days; out of range, the service refuses it.
func days(n int) time.Duration {
	if n < 0 || n > 10000 {
		return -1
	}
	return time.Duration(n) * 24 * time.Hour
}

func tokenID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, hub.Errorf(hub.ENOTFOUND, "没有令牌 %q / no token %q", id, id)
	}
	return n, nil
}
