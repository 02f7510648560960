package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/sixprot/hub/internal/hub"
)

// Bounds of a multipart request besides its files' size.
const (
	// maxUploadFiles is the most files of one request (importValues takes one).
	maxUploadFiles = 4
	// maxUploadPaths is the most variables the files of one request fill.
	maxUploadPaths = 16
	// maxOperationsBytes bounds the operations and map parts.
	maxOperationsBytes = 1 << 20
)

// uploadTransport serves GraphQL multipart requests (the GraphQL multipart
// request spec: a part "operations", a part "map", then the files). It
// takes the place of gqlgen's MultipartForm, which panics on a map path
// that does not point at an object or list of the variables. Here the whole
// request shape is checked before gqlgen sees it: operations is one JSON
// operation, map is a JSON object of file keys to paths, every path points
// at a null in the variables at an Upload-typed place of the operation's
// variables, no path is filled twice, every file is in the map and comes
// once, and there are at most maxUploadFiles files. A request that breaks
// any of this is answered 400 with extensions.code BAD_USER_INPUT (413 for
// one that is too large), never a panic or a 500.
type uploadTransport struct {
	schema    *ast.Schema
	maxUpload int64
	// maxMemory: a file larger than this goes to a temporary file.
	maxMemory int64
	maxFiles  int
}

var _ graphql.Transport = uploadTransport{}

func (uploadTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "multipart/form-data"
}

// uploadError is a multipart request the transport refuses.
type uploadError struct {
	status int
	msg    string
}

func (e *uploadError) Error() string { return e.msg }

func badUpload(format string, args ...any) error {
	return &uploadError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func (t uploadTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", hub.ResponseMediaType(r.Header.Get("Accept"))+"; charset=utf-8")
	start := graphql.Now()
	var files []*os.File
	defer func() {
		for _, f := range files {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	params, err := t.read(w, r, &files)
	if err != nil {
		status, msg := http.StatusBadRequest, err.Error()
		var ue *uploadError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			status = http.StatusRequestEntityTooLarge
			msg = fmt.Sprintf("上传的文件过大（上限 %d MiB）：请拆分文件或使用 hub import / the upload is too large (limit %d MiB): split the file or use hub import",
				t.maxUpload>>20, t.maxUpload>>20)
		case errors.As(err, &ue):
			status = ue.status
		default:
			msg = "无法读取 multipart 请求 / cannot read the multipart request: " + err.Error()
		}
		gerr := gqlerror.Errorf("%s", msg)
		gerr.Extensions = map[string]any{"code": hub.EINVALID}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{gerr}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, gerr := exec.CreateOperationContext(r.Context(), params)
	if gerr != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(r.Context(), rc), gerr)
		if errcode.GetErrorKind(gerr) == errcode.KindProtocol {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		writeResponse(w, resp)
		return
	}
	responses, ctx := exec.DispatchOperation(r.Context(), rc)
	writeResponse(w, responses(ctx))
}

func writeResponse(w io.Writer, resp *graphql.Response) {
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"内部错误 / internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	_, _ = w.Write(b)
}

// read reads and checks the request; temporary files it creates are
// appended to files for the caller to remove.
func (t uploadTransport) read(w http.ResponseWriter, r *http.Request, files *[]*os.File) (*graphql.RawParams, error) {
	limit := t.maxUpload + 2*maxOperationsBytes
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badUpload("不是有效的 multipart/form-data 请求 / not a valid multipart/form-data request: %v", err)
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "operations" {
		return nil, firstPartError(err, "operations", "第一部分须为 operations / the first part must be operations")
	}
	var params graphql.RawParams
	if err := decodePart(part, &params); err != nil {
		return nil, badUpload("operations 须为一个 GraphQL 请求的 JSON 对象 / operations must be the JSON object of one GraphQL request: %v", err)
	}
	part, err = mr.NextPart()
	if err != nil || part.FormName() != "map" {
		return nil, firstPartError(err, "map", "第二部分须为 map / the second part must be map")
	}
	var fileMap map[string][]string
	if err := decodePart(part, &fileMap); err != nil {
		return nil, badUpload(`map 须为 JSON 对象，如 {"0":["variables.file"]} / map must be a JSON object such as {"0":["variables.file"]}: %v`, err)
	}
	if err := t.checkMap(&params, fileMap); err != nil {
		return nil, err
	}
	uploads := map[string]stored{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, err
			}
			return nil, badUpload("无法读取 multipart 的文件部分 / cannot read a file part: %v", err)
		}
		key := part.FormName()
		if _, ok := fileMap[key]; !ok {
			return nil, badUpload("文件部分 %q 不在 map 中 / the file part %q is not in map", key, key)
		}
		if _, dup := uploads[key]; dup {
			return nil, badUpload("文件部分 %q 重复 / the file part %q comes twice", key, key)
		}
		st, err := t.store(part, files)
		if err != nil {
			return nil, err
		}
		uploads[key] = st
	}
	for key := range fileMap {
		if _, ok := uploads[key]; !ok {
			return nil, badUpload("map 中的文件 %q 缺失 / the file %q named in map is missing", key, key)
		}
	}
	for key, paths := range fileMap {
		for _, p := range paths {
			up, err := uploads[key].open(files)
			if err != nil {
				return nil, err
			}
			setPath(params.Variables, splitPath(p), up)
		}
	}
	return &params, nil
}

func firstPartError(err error, name, msg string) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badUpload("%s", msg)
}

// decodePart decodes one JSON value (numbers kept as json.Number, as
// gqlgen's other transports do) from a part of at most maxOperationsBytes.
func decodePart(part io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(part, maxOperationsBytes+1))
	if err != nil {
		return err
	}
	if len(data) > maxOperationsBytes {
		return fmt.Errorf("larger than %d bytes", maxOperationsBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

// checkMap checks the map part against the operation before any file is read.
func (t uploadTransport) checkMap(params *graphql.RawParams, fileMap map[string][]string) error {
	if len(fileMap) == 0 {
		return badUpload("map 没有文件 / map names no file")
	}
	if len(fileMap) > t.maxFiles {
		return badUpload("文件过多（%d 个，上限 %d）/ too many files (%d, the limit is %d)", len(fileMap), t.maxFiles, len(fileMap), t.maxFiles)
	}
	var op *ast.OperationDefinition
	if doc, err := parser.ParseQuery(&ast.Source{Input: params.Query}); err == nil {
		op = doc.Operations.ForName(params.OperationName)
	}
	seen := map[string]bool{}
	for key, paths := range fileMap {
		if key == "" || len(key) > 100 {
			return badUpload("map 的文件键无效 / map has an invalid file key %q", key)
		}
		if len(paths) == 0 {
			return badUpload("map 中文件 %q 没有路径 / map gives the file %q no path", key, key)
		}
		for _, p := range paths {
			if seen[p] {
				return badUpload("路径 %s 在 map 中出现两次 / the path %s comes twice in map", p, p)
			}
			seen[p] = true
			if len(seen) > maxUploadPaths {
				return badUpload("map 的路径过多（上限 %d）/ map has more than %d paths", maxUploadPaths, maxUploadPaths)
			}
			if err := t.checkPath(params.Variables, op, p); err != nil {
				return err
			}
		}
	}
	return nil
}

func splitPath(p string) []string { return strings.Split(strings.TrimPrefix(p, "variables."), ".") }

// checkPath checks that p ("variables.name[.field|.index]…") points at a
// null in vars, at a place of type Upload in op's variables (when the query
// parses: when it does not, gqlgen refuses it).
func (t uploadTransport) checkPath(vars map[string]any, op *ast.OperationDefinition, p string) error {
	bad := func(why string) error {
		return badUpload("map 路径 %s 无效：%s / the map path %s is invalid: %s", p, why, p, why)
	}
	if !strings.HasPrefix(p, "variables.") || len(p) > 200 {
		return bad("须以 variables. 开头 / it must start with variables.")
	}
	segs := splitPath(p)
	var cur any = vars
	for _, s := range segs {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[s]
			if !ok {
				return bad("变量中没有 " + s + " / the variables have no " + s)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(c) {
				return bad("列表下标 " + s + " 不存在 / there is no list index " + s)
			}
			cur = c[i]
		default:
			return bad("未指向变量中的对象或列表 / it does not point into an object or list of the variables")
		}
	}
	if cur != nil {
		return bad("所指的变量须为 null / the variable it points at must be null")
	}
	if op == nil || t.schema == nil {
		return nil
	}
	vd := op.VariableDefinitions.ForName(segs[0])
	if vd == nil {
		return bad("操作没有声明变量 $" + segs[0] + " / the operation declares no $" + segs[0])
	}
	typ := vd.Type
	for _, s := range segs[1:] {
		if typ.Elem != nil {
			typ = typ.Elem
			continue
		}
		def := t.schema.Types[typ.NamedType]
		if def == nil || def.Kind != ast.InputObject || def.Fields.ForName(s) == nil {
			return bad("类型 " + typ.NamedType + " 没有字段 " + s + " / type " + typ.NamedType + " has no field " + s)
		}
		typ = def.Fields.ForName(s).Type
	}
	if typ.Elem != nil || typ.NamedType != "Upload" {
		return bad("所指的变量不是 Upload 类型 / the variable it points at is not of type Upload")
	}
	return nil
}

// setPath puts up at the place checkPath checked.
func setPath(vars map[string]any, segs []string, up graphql.Upload) {
	var cur any = vars
	for i, s := range segs {
		last := i == len(segs)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[s] = up
				return
			}
			cur = c[s]
		case []any:
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || n >= len(c) {
				return
			}
			if last {
				c[n] = up
				return
			}
			cur = c[n]
		default:
			return
		}
	}
}

// stored is a file read from the request: in memory, or in a temporary file.
type stored struct {
	data              []byte
	tmp               string
	size              int64
	name, contentType string
}

// store reads a file part: into memory up to maxMemory, beyond that into
// a temporary file.
func (t uploadTransport) store(part *multipart.Part, files *[]*os.File) (stored, error) {
	st := stored{name: part.FileName(), contentType: part.Header.Get("Content-Type")}
	head, err := io.ReadAll(io.LimitReader(part, t.maxMemory+1))
	if err != nil {
		return st, readFileError(err)
	}
	if int64(len(head)) <= t.maxMemory {
		st.data, st.size = head, int64(len(head))
		return st, nil
	}
	f, err := os.CreateTemp("", "hub-upload-")
	if err != nil {
		return st, fmt.Errorf("create temporary upload file: %w", err)
	}
	*files = append(*files, f)
	st.tmp = f.Name()
	if _, err := f.Write(head); err != nil {
		return st, fmt.Errorf("write temporary upload file: %w", err)
	}
	rest, err := io.Copy(f, part)
	if err != nil {
		return st, readFileError(err)
	}
	st.size = int64(len(head)) + rest
	return st, nil
}

func readFileError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badUpload("无法读取上传的文件 / cannot read the uploaded file: %v", err)
}

// open returns an upload of st with a reader of its own, from the start:
// a file mapped to two paths is read twice.
func (st stored) open(files *[]*os.File) (graphql.Upload, error) {
	up := graphql.Upload{Filename: st.name, ContentType: st.contentType, Size: st.size}
	if st.tmp == "" {
		up.File = bytes.NewReader(st.data)
		return up, nil
	}
	f, err := os.Open(st.tmp)
	if err != nil {
		return up, fmt.Errorf("reopen temporary upload file: %w", err)
	}
	*files = append(*files, f)
	up.File = f
	return up, nil
}
