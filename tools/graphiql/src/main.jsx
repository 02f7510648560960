// The hub's GraphiQL page (GET /graphql). The Go handler writes the page:
// <meta name="hub-csrf"> (the signed-in session's CSRF token, empty without
// a session), <meta name="hub-role"> and a JSON block #hub-examples with
// the role's example operations. Nothing here loads from outside the hub:
// Monaco's workers and the fonts are files under /graphql/assets/.
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import { createRoot } from 'react-dom/client';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher } from '@graphiql/toolkit';

const assets = '/graphql/assets/';
globalThis.MonacoEnvironment = {
  getWorker(_id, label) {
    switch (label) {
      case 'json':
        return new Worker(assets + 'json.worker.js');
      case 'graphql':
        return new Worker(assets + 'graphql.worker.js');
    }
    return new Worker(assets + 'editor.worker.js');
  },
};

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.content ?? '';
const csrf = meta('hub-csrf');
const role = meta('hub-role') || 'anonymous';
let examples = [];
try {
  examples = JSON.parse(document.getElementById('hub-examples')?.textContent || '[]');
} catch {
  examples = [];
}

// memoryStorage keeps what GraphiQL saves (tabs, history, settings) per
// role in localStorage, under the hub's own prefix, and never a header:
// a pasted token lives in the page's memory only (and GraphiQL's own
// "persist headers" switch is hidden).
function roleStorage(prefix) {
  const keys = () => Object.keys(localStorage).filter((k) => k.startsWith(prefix));
  const safe = (key, value) => !/headers|shouldPersistHeaders/i.test(key) && !/Bearer\s|sph_/.test(value);
  return {
    getItem: (k) => localStorage.getItem(prefix + k),
    setItem: (k, v) => {
      if (!safe(k, String(v))) {
        // Tabs carry their headers: drop them before saving.
        try {
          const o = JSON.parse(v);
          if (o && Array.isArray(o.tabs)) {
            o.tabs = o.tabs.map((t) => ({ ...t, headers: null }));
            v = JSON.stringify(o);
            if (safe(k, v)) return localStorage.setItem(prefix + k, v);
          }
        } catch {
          /* not JSON: not saved */
        }
        return undefined;
      }
      return localStorage.setItem(prefix + k, v);
    },
    removeItem: (k) => localStorage.removeItem(prefix + k),
    get length() {
      return keys().length;
    },
    key: (i) => keys()[i]?.slice(prefix.length) ?? null,
    clear: () => keys().forEach((k) => localStorage.removeItem(k)),
  };
}

const fetcher = createGraphiQLFetcher({
  url: '/graphql',
  // The session cookie goes with every request; the CSRF header proves the
  // request comes from this page. A pasted Authorization header wins.
  headers: csrf ? { 'X-Hub-CSRF': csrf } : {},
  fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
});

const defaultTabs = examples.map((e) => ({ query: e.query, variables: e.variables || undefined }));
const signedOutHeaders = csrf ? '' : '{\n  "Authorization": "Bearer "\n}';

function App() {
  return (
    <GraphiQL
      fetcher={fetcher}
      plugins={[HISTORY_PLUGIN, explorerPlugin()]}
      storage={roleStorage(`hub.graphiql.${role}.`)}
      defaultTabs={defaultTabs.length ? defaultTabs : undefined}
      defaultHeaders={signedOutHeaders}
      shouldPersistHeaders={false}
      showPersistHeadersSettings={false}
      defaultEditorToolsVisibility={csrf ? true : 'headers'}
      isHeadersEditorEnabled
    >
      <GraphiQL.Logo>六大保护数据中心 / Six Protections Hub</GraphiQL.Logo>
    </GraphiQL>
  );
}

createRoot(document.getElementById('graphiql')).render(<App />);
