// Tests only (graph/jsclients_test.go): Apollo Client 4 and urql against a running hub.
//
//   node clients.mjs URL     URL is the hub's /graphql; every request carries the
//                            Authorization header $HUB_AUTHORIZATION.
//
// Each client sends, as it sends them itself (its own Accept header, its own multipart parser):
//   query     a plain query;
//   error     a query the hub refuses (first: 0), to read extensions.code as the client reports it;
//   deferred  a query with a deferred fragment, to see the deferred part arrive.
// Prints one JSON object per client: {"apollo": {...}, "urql": {...}}.
import { ApolloClient, InMemoryCache, HttpLink, gql, CombinedGraphQLErrors } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { Client, fetchExchange } from '@urql/core';

const url = process.argv[2];
const headers = process.env.HUB_AUTHORIZATION ? { authorization: process.env.HUB_AUTHORIZATION } : {};

const QUERY = `query Regions { regions(level: COUNTY) { code name } }`;
const ERROR = `query BadPage { dataValues(filter: {}, first: 0) { totalCount } }`;
const DEFERRED = `query MeDeferred { me { name ... @defer(label: "where") { region { code name } } } }`;

async function apollo() {
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, headers }),
    cache: new InMemoryCache(),
    incrementalHandler: new Defer20220824Handler(),
  });
  const out = {};
  const q = await client.query({ query: gql(QUERY), fetchPolicy: 'network-only' });
  out.query = { count: q.data.regions.length, first: q.data.regions[0] };
  try {
    await client.query({ query: gql(ERROR), fetchPolicy: 'network-only' });
    out.error = { codes: [] };
  } catch (e) {
    out.error = CombinedGraphQLErrors.is(e)
      ? { codes: e.errors.map((x) => x.extensions?.code), message: e.errors[0]?.message }
      : { other: String(e) };
  }
  // Every result the client emits, until the deferred part has arrived.
  out.deferred = await new Promise((resolve, reject) => {
    const emitted = [];
    const sub = client.watchQuery({ query: gql(DEFERRED), fetchPolicy: 'network-only' }).subscribe({
      next(r) {
        if (r.loading && !r.data) return;
        emitted.push({ dataState: r.dataState, data: r.data });
        if (r.dataState === 'complete') {
          sub.unsubscribe();
          resolve({ emitted });
        }
      },
      error(e) {
        reject(e);
      },
    });
    setTimeout(() => resolve({ emitted, timedOut: true }), 20000).unref();
  });
  return out;
}

async function urql() {
  const client = new Client({ url, exchanges: [fetchExchange], fetchOptions: { headers }, requestPolicy: 'network-only' });
  const out = {};
  const q = await client.query(QUERY, {}).toPromise();
  out.query = { count: q.data?.regions.length, first: q.data?.regions[0], error: q.error?.message };
  const e = await client.query(ERROR, {}).toPromise();
  out.error = { codes: (e.error?.graphQLErrors || []).map((x) => x.extensions?.code), message: e.error?.graphQLErrors[0]?.message };
  out.deferred = await new Promise((resolve) => {
    const emitted = [];
    const { unsubscribe } = client.query(DEFERRED, {}).subscribe((r) => {
      emitted.push({ hasNext: r.hasNext, data: r.data, error: r.error?.message });
      if (!r.hasNext) {
        resolve({ emitted });
        setTimeout(() => unsubscribe(), 0);
      }
    });
    setTimeout(() => resolve({ emitted, timedOut: true }), 20000).unref();
  });
  return out;
}

const result = {};
for (const [name, run] of [['apollo', apollo], ['urql', urql]]) {
  try {
    result[name] = await run();
  } catch (e) {
    result[name] = { failed: String(e?.stack || e) };
  }
}
process.stdout.write(JSON.stringify(result));
process.exit(0);
