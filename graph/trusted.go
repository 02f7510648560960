package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/trusted"
)

// trustedDocuments enforces the operator's allow-list (hub serve
// --trusted-documents): a caller who is not an admin may run only the
// listed documents, named by hash (extensions.persistedQuery.sha256Hash,
// as Apollo's persisted queries and graphql-codegen's client preset send
// it) or sent in full (then its SHA-256 must be listed). Anything else is
// refused with PERSISTED_QUERY_NOT_ALLOWED before it is parsed. Admins may
// run anything, listed hashes included; their other hashes go on to the
// automatic persisted queries. It runs before every other extension.
type trustedDocuments struct {
	docs *trusted.Documents
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = trustedDocuments{}

func (trustedDocuments) ExtensionName() string                   { return "TrustedDocuments" }
func (trustedDocuments) Validate(graphql.ExecutableSchema) error { return nil }

func (t trustedDocuments) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	p0 := hub.PrincipalFrom(ctx)
	admin := p0 != nil && p0.Role == hub.Admin
	if hash, ok := persistedHash(p.Extensions); ok {
		if text, listed := t.docs.ByHash(hash); listed {
			if p.Query != "" && p.Query != text {
				return presented(hub.Errorf(hub.EINVALID, "query 与 persistedQuery 的哈希 %s 所指的文档不同 / the query is not the document the hash %s names", hash, hash))
			}
			p.Query = text
			delete(p.Extensions, "persistedQuery") // resolved here, not an automatic persisted query
			return nil
		}
		if admin {
			return nil
		}
		return presented(hub.Errorf(hub.ENOTTRUSTED, "哈希 %s 不在本中心的可信文档清单中 / the document %s is not on this hub's list of trusted documents", hash, hash))
	}
	if admin || t.docs.Allows(p.Query) {
		return nil
	}
	return presented(hub.Errorf(hub.ENOTTRUSTED, "本中心只执行可信文档清单中的操作，此查询不在清单中（管理员除外）/ this hub runs only the operations on its list of trusted documents (admins excepted), and this query is not on it"))
}

// persistedHash is extensions.persistedQuery.sha256Hash, when the request
// sends one.
func persistedHash(ext map[string]any) (string, bool) {
	pq, ok := ext["persistedQuery"].(map[string]any)
	if !ok {
		return "", false
	}
	h, ok := pq["sha256Hash"].(string)
	return h, ok && strings.TrimSpace(h) != ""
}

// presented wraps a hub error for a gqlgen extension's return: the error
// presenter gives it its code and message.
func presented(err *hub.Error) *gqlerror.Error {
	return &gqlerror.Error{Message: err.Message, Err: err}
}

// CheckTrustedDocuments parses and validates every document of docs
// against the schema, so that the hub refuses to start on a manifest made
// for another schema rather than refuse its operations one by one.
func CheckTrustedDocuments(docs *trusted.Documents) error {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	for _, text := range docs.Texts() {
		if _, errs := gqlparser.LoadQuery(schema, text); len(errs) > 0 {
			return fmt.Errorf("trusted document %s does not validate against the schema: %s", trusted.SHA256(text), errs[0].Message)
		}
	}
	return nil
}
