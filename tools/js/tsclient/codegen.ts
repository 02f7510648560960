// graphql-codegen (client preset) for the TypeScript client example (docs/clients.md).
// The schema is the live hub's, by introspection, signed in:
//   HUB_URL=http://localhost:8080/graphql HUB_AUTHORIZATION="Bearer sph_..." npm run codegen
// HUB_TSCLIENT_DIR (default: this directory) is where main.ts is read and gql/ is written.
import type { CodegenConfig } from '@graphql-codegen/cli';

const dir = process.env.HUB_TSCLIENT_DIR || new URL('.', import.meta.url).pathname;

const config: CodegenConfig = {
  schema: [
    {
      [process.env.HUB_URL || 'http://localhost:8080/graphql']: {
        headers: { Authorization: process.env.HUB_AUTHORIZATION || '' },
      },
    },
  ],
  documents: [`${dir}/main.ts`],
  ignoreNoDocuments: false,
  generates: {
    [`${dir}/gql/`]: {
      preset: 'client',
      config: {
        enumsAsTypes: true,
        scalars: { Time: 'string', Upload: 'File' },
        useTypeImports: true,
      },
    },
  },
};

export default config;
