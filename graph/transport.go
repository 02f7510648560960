package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
)

// Media types of GraphQL responses (GraphQL over HTTP).
const (
	mediaGraphQLResponse = hub.MediaGraphQLResponse
	mediaJSON            = hub.MediaJSON
)

// httpTransport serves GraphQL over HTTP (the GraphQL-over-HTTP spec
// draft) for every request that the multipart transport and OPTIONS do not take, in place of
// gqlgen's GET and POST transports:
//   - the response's media type follows Accept with its q-values
//     (hub.ResponseMediaType);
//   - a body that is not one JSON object of the request's parameters, a
//     POST that is not application/json, GET parameters that do not decode
//     answer 400 (415 for the content type) with extensions.code
//     BAD_USER_INPUT and a message that names no Go type and echoes
//     nothing of the body;
//   - a request error (parse, validation, variable coercion, the limits)
//     answers without "data": 400 under application/graphql-response+json,
//     200 under application/json, as the spec asks;
//   - a request without a query (nor a persisted query's hash) answers 400;
//   - a mutation over GET answers 405 with Allow: POST;
//   - an operation with @defer answers multipart/mixed to a client that
//     accepts it, else one response with the deferred parts merged in
//     (defer.go);
//   - other methods answer 405 with Allow: GET, POST.
type httpTransport struct{}

var _ graphql.Transport = httpTransport{}

func (httpTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method == http.MethodOptions {
		return false
	}
	return true // added after the multipart transport, which takes its requests first
}

// requestErrorResponse is a GraphQL response to a request error: errors
// and extensions, never "data".
type requestErrorResponse struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func (httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := hub.ResponseMediaType(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	ctx := r.Context()
	fail := func(status int, list gqlerror.List, rc *graphql.OperationContext) {
		if rc != nil {
			ctx = graphql.WithOperationContext(ctx, rc)
		}
		resp := exec.DispatchError(ctx, list)
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(requestErrorResponse{Errors: resp.Errors, Extensions: resp.Extensions})
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		fail(http.StatusMethodNotAllowed, gqlerror.List{badRequest("不支持的方法 %s：GraphQL 只接受 GET 和 POST / method %s not allowed: GraphQL takes GET and POST", r.Method, r.Method)}, nil)
		return
	}
	start := graphql.Now()
	params, status, bad := readParams(r)
	if bad == nil && params.Query == "" && params.Extensions["persistedQuery"] == nil {
		status, bad = http.StatusBadRequest, badRequest("缺少参数 query / the parameter query is missing")
	}
	if bad != nil {
		fail(status, gqlerror.List{bad}, nil)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		fail(status, opErr, rc)
		return
	}
	if r.Method == http.MethodGet {
		if op := rc.Doc.Operations.ForName(rc.OperationName); op != nil && op.Operation != ast.Query {
			w.Header().Set("Allow", "POST")
			fail(http.StatusMethodNotAllowed, gqlerror.List{badRequest("GET 只能执行查询，%s 请用 POST / GET runs queries only: send a %s with POST", op.Operation, op.Operation)}, rc)
			return
		}
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	if hasNext(resp) { // deferred fragments follow (defer.go)
		if acceptsMultipartMixed(r.Header.Get("Accept")) {
			writeIncremental(w, ctx, rc, resp, responses)
			return
		}
		resp = mergeDeferred(ctx, resp, responses)
	}
	if media == mediaGraphQLResponse && resp.Data == nil {
		// No data: the operation failed before execution (a limit, a
		// refused persisted query); the spec asks for a 4xx.
		fail(http.StatusBadRequest, resp.Errors, nil)
		return
	}
	encodeResponse(w, resp)
}

// encodeResponse writes resp as json.Encoder does. An answer that is data
// alone is written as it is: Encode would scan the whole document again
// (json.RawMessage is compacted and checked), unless it holds what
// Encode escapes (<, >, &, U+2028 and U+2029), which gqlgen's strings do
// not.
func encodeResponse(w io.Writer, resp *graphql.Response) {
	if len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Label != "" || resp.Path != nil || resp.HasNext != nil ||
		len(resp.Data) == 0 || bytes.ContainsAny(resp.Data, "<>&") ||
		bytes.Contains(resp.Data, []byte("\u2028")) || bytes.Contains(resp.Data, []byte("\u2029")) {
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	// Three writes, not a copy of the data: the server buffers them.
	_, _ = io.WriteString(w, `{"data":`)
	_, _ = w.Write(resp.Data)
	_, _ = io.WriteString(w, "}\n")
}

// readParams reads the request's GraphQL parameters: a POST's JSON body,
// or a GET's query string. A malformed request gives a BAD_USER_INPUT
// error and its status.
func readParams(r *http.Request) (*graphql.RawParams, int, *gqlerror.Error) {
	params := &graphql.RawParams{}
	if r.Method == http.MethodGet {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, http.StatusBadRequest, badRequest("无法解析 URL 参数 / the query string does not parse")
		}
		params.Query, params.OperationName = q.Get("query"), q.Get("operationName")
		for name, into := range map[string]*map[string]any{"variables": &params.Variables, "extensions": &params.Extensions} {
			if v := q.Get(name); v != "" {
				if err := decodeJSONObject(strings.NewReader(v), into); err != nil {
					return nil, http.StatusBadRequest, badRequest("参数 %s 应为 JSON 对象 / the parameter %s must be a JSON object", name, name)
				}
			}
		}
		return params, 0, nil
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != mediaJSON {
		return nil, http.StatusUnsupportedMediaType, badRequest("POST 的 Content-Type 应为 application/json（上传文件用 multipart/form-data）/ a POST must be application/json (multipart/form-data for uploads)")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			e := badRequest("请求体过大（上限 %d 字节）/ the request body is larger than %d bytes", tooLarge.Limit, tooLarge.Limit)
			e.Extensions["code"] = hub.ETOOLARGE
			return nil, http.StatusRequestEntityTooLarge, e
		}
		return nil, http.StatusBadRequest, badRequest("无法读取请求体 / could not read the request body")
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && t[0] == '[' {
		return nil, http.StatusBadRequest, badRequest("不支持批量请求：请求体应为一个 JSON 对象，每次一个操作 / batched requests are not supported: send one JSON object, one operation per request")
	}
	var raw struct {
		Query         any `json:"query"`
		OperationName any `json:"operationName"`
		Variables     any `json:"variables"`
		Extensions    any `json:"extensions"`
	}
	if err := decodeJSONObject(bytes.NewReader(body), &raw); err != nil {
		return nil, http.StatusBadRequest, badRequest("请求体不是 JSON 对象 / the request body is not a JSON object")
	}
	var ok bool
	for _, f := range []struct {
		name string
		v    any
		into *string
	}{{"query", raw.Query, &params.Query}, {"operationName", raw.OperationName, &params.OperationName}} {
		if f.v == nil {
			continue
		}
		if *f.into, ok = f.v.(string); !ok {
			return nil, http.StatusBadRequest, badRequest("参数 %s 应为字符串 / the parameter %s must be a string", f.name, f.name)
		}
	}
	for _, f := range []struct {
		name string
		v    any
		into *map[string]any
	}{{"variables", raw.Variables, &params.Variables}, {"extensions", raw.Extensions, &params.Extensions}} {
		if f.v == nil {
			continue
		}
		if *f.into, ok = f.v.(map[string]any); !ok {
			return nil, http.StatusBadRequest, badRequest("参数 %s 应为 JSON 对象 / the parameter %s must be a JSON object", f.name, f.name)
		}
	}
	return params, 0, nil
}

// decodeJSONObject decodes one JSON value into v, numbers as json.Number
// (as gqlgen expects), refusing anything after it.
func decodeJSONObject(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// badRequest is a client's mistake about the request itself.
func badRequest(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": hub.EINVALID}
	return err
}
