// Tests only (graph/introspection_js_test.go): graphql-js's own view of the hub's schema.
//
//   node introspection.mjs query      prints getIntrospectionQuery() with every option on
//   node introspection.mjs check      reads an introspection answer ({"data": ...}) on stdin,
//                                      builds the client schema with buildClientSchema, validates
//                                      the operations given as JSON array in $HUB_OPERATIONS (if
//                                      any) and prints {"types": n, "errors": [...]} as JSON.
import { getIntrospectionQuery, buildClientSchema, parse, validate } from 'graphql';

const options = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

const mode = process.argv[2];
if (mode === 'query') {
  process.stdout.write(getIntrospectionQuery(options));
} else if (mode === 'check') {
  const answer = JSON.parse(await readStdin());
  if (answer.errors && answer.errors.length) {
    console.error(JSON.stringify(answer.errors));
    process.exit(2);
  }
  const schema = buildClientSchema(answer.data);
  const errors = [];
  for (const op of JSON.parse(process.env.HUB_OPERATIONS || '[]')) {
    try {
      const seen = new Set();
      for (const e of validate(schema, parse(op))) {
        if (!seen.has(e.message)) errors.push(`${e.message}\n${op}`);
        seen.add(e.message);
      }
    } catch (e) {
      errors.push(`${e.message}\n${op}`);
    }
  }
  process.stdout.write(JSON.stringify({ types: Object.keys(schema.getTypeMap()).length, errors }));
} else {
  console.error('usage: node introspection.mjs query|check');
  process.exit(64);
}
