// PostGraphile v5 beside the hub, for bench/peer only: the Amber preset
// over the hub's database as hub_app, with the hub's six hub.* settings
// (the principal of PEER_PG_SETTINGS, JSON) handed to every request's
// transaction by pgSettings, so that the same row-level security applies.
//
//   PEER_DATABASE_URL=postgres://hub_app@127.0.0.1:5432/db PEER_PORT=5678 \
//   PEER_PG_SETTINGS='{"hub.user":"…",…}' PEER_POOL=4 node postgraphile.mjs
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";

const pgSettings = JSON.parse(process.env.PEER_PG_SETTINGS);
const port = Number(process.env.PEER_PORT);
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.PEER_POOL || 4), idleTimeoutMillis: 600000 },
    }),
  ],
  grafast: {
    explain: false,
    context() {
      return { pgSettings };
    },
  },
  grafserv: { port, host: "127.0.0.1", graphiql: false, watch: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once("listening", () => console.log(`postgraphile listening on 127.0.0.1:${port}`));
serv.addTo(server).then(() => server.listen(port, "127.0.0.1"), (e) => {
  console.error(e);
  process.exit(1);
});
