// Tests only (internal/server/audit_test.go): graphql-http's server audits
// (the GraphQL-over-HTTP spec draft) against the URL given as argument.
// Every request carries the Authorization header $HUB_AUTHORIZATION when set
// (the audits introspect, which the hub refuses to anonymous callers).
// Prints [{id, name, status, reason}] as JSON; status is ok, warn, notice or error.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(64);
}
const authorization = process.env.HUB_AUTHORIZATION;
const fetchFn = (input, init = {}) => {
  if (!authorization) return fetch(input, init);
  const headers = new Headers(init.headers || {});
  headers.set('authorization', authorization);
  return fetch(input, { ...init, headers });
};
const out = [];
for (const audit of serverAudits({ url, fetchFn })) {
  const r = await audit.fn();
  out.push({ id: audit.id, name: audit.name, status: r.status, reason: r.reason || '' });
}
process.stdout.write(JSON.stringify(out));
