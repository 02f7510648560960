package model

import (
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/sixprot/hub/internal/hub"
)

// The scalars Time and Upload as gqlgen's, except that a value of the
// wrong form is the caller's mistake, BAD_USER_INPUT, naming what is
// expected: gqlgen's own unmarshalers return plain errors, which the API
// answered as INTERNAL.

// MarshalTime writes an RFC 3339 time.
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalTime reads an RFC 3339 time.
func UnmarshalTime(v any) (time.Time, error) {
	t, err := graphql.UnmarshalTime(v)
	if err != nil {
		s := shown(v)
		return time.Time{}, hub.Errorf(hub.EINVALID, "无效的时间 %s：应为 RFC 3339 格式，如 2022-07-01T08:00:00+08:00 / invalid time %s: use RFC 3339, e.g. 2022-07-01T08:00:00+08:00", s, s)
	}
	return t, nil
}

// MarshalUpload is never used for output (Upload is an input scalar).
func MarshalUpload(u graphql.Upload) graphql.Marshaler { return graphql.MarshalUpload(u) }

// UnmarshalUpload reads the file a multipart request mapped to the variable.
func UnmarshalUpload(v any) (graphql.Upload, error) {
	u, err := graphql.UnmarshalUpload(v)
	if err != nil {
		return graphql.Upload{}, hub.Errorf(hub.EINVALID, "此处须为上传的文件：请用 multipart 请求（GraphQL multipart request spec），在 map 中把文件映射到此变量 / a file is expected here: send a multipart request (GraphQL multipart request spec) whose map names this variable")
	}
	return u, nil
}

// shown quotes v for an error message, at most 64 characters of it.
func shown(v any) string {
	s := fmt.Sprintf("%q", fmt.Sprint(v))
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return s
}
