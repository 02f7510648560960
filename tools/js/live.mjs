// Subscribes to the hub with the npm graphql-ws client, as a department's
// Node system would (graph/subscriptions_node_test.go runs it):
//   HUB_WS      ws://host:port/graphql
//   HUB_TOKENS  name=token,name=token…   one subscriber each
//   HUB_FILTER  the DataValueFilter as JSON
//   HUB_EVENTS  name=count,…             events to wait for per subscriber
// Prints one JSON line per event ({"who", "values", "resync"}), then, for a
// client with a bad token, {"who": "bad", "closeCode"}; exits 0 when every
// subscriber got its events.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.HUB_WS;
const filter = JSON.parse(process.env.HUB_FILTER || '{}');
const want = Object.fromEntries((process.env.HUB_EVENTS || '').split(',').filter(Boolean).map((p) => {
  const [k, v] = p.split('=');
  return [k, Number(v)];
}));
const tokens = (process.env.HUB_TOKENS || '').split(',').filter(Boolean).map((p) => p.split('='));
const query = `subscription($f: DataValueFilter) { valuesChanged(filter: $f) {
  resync values { id status period value region { code } indicator { key } } } }`;

function out(o) { process.stdout.write(JSON.stringify(o) + '\n'); }

const clients = [];
const runs = tokens.map(async ([who, token]) => {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { token }, retryAttempts: 0, lazy: true });
  clients.push(client);
  let n = 0;
  for await (const r of client.iterate({ query, variables: { f: filter } })) {
    if (r.errors) { out({ who, errors: r.errors }); process.exit(1); }
    out({ who, values: r.data.valuesChanged.values, resync: r.data.valuesChanged.resync });
    if (++n >= (want[who] || 1)) { break; }
  }
});

// A bad token: the connection closes with the hub's 4401.
const bad = new Promise((resolve) => {
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { token: 'sph_not-a-token' }, retryAttempts: 0 });
  client.subscribe({ query, variables: { f: filter } }, {
    next: () => { out({ who: 'bad', received: true }); resolve(); },
    error: (e) => { out({ who: 'bad', closeCode: e && e.code }); resolve(); },
    complete: () => resolve(),
  });
});

await Promise.all([...runs, bad]);
await Promise.all(clients.map((c) => c.dispose()));
process.exit(0);
