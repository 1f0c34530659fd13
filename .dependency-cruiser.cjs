// @ts-check
/**
 * The import rules of docs/architecture.md, checked by scripts/import-rules.test.ts (part of
 * `npm test`) and by hand with `npx depcruise --config .dependency-cruiser.cjs .`
 * Paths are relative to the repository root; a workspace package resolves to its own files.
 */
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

const SUBGRAPHS = readdirSync(join(__dirname, 'subgraphs'));
/** Every workspace that runs as a process or holds tests of processes: none is a library. */
const APPS = '^(subgraphs|gateway|workers|payment-provider|web|scripts|e2e|bench|deploy|schema)/';
/** Test files and test-only folders: harnesses, fixtures, end-to-end suites. */
const TESTS = [
  '\\.test\\.tsx?$',
  '^gateway/test/',
  '^workers/src/fixtures/',
  '^packages/testing/',
  '^packages/queues/src/testing\\.ts$',
  '^e2e/',
  '^web/e2e/',
  '^bench/',
  '^deploy/',
];

/**
 * A subgraph's service modules: what its package.json exports from src/services/. The only
 * files of a subgraph that the workers' production code may call.
 */
const serviceModules = SUBGRAPHS.flatMap((name) => {
  const { exports = {} } = JSON.parse(readFileSync(join(__dirname, 'subgraphs', name, 'package.json'), 'utf8'));
  return Object.values(exports)
    .filter((target) => typeof target === 'string' && target.startsWith('./src/services/'))
    .map((target) => `^subgraphs/${name}/${target.slice(2).replace(/\./g, '\\.')}$`);
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'subgraphs-apart',
      comment: 'A subgraph never imports another subgraph: they meet only in the supergraph and through the queues.',
      severity: 'error',
      from: { path: '^subgraphs/([^/]+)/' },
      to: { path: '^subgraphs/', pathNot: '^subgraphs/$1/' },
    },
    {
      name: 'subgraphs-import-no-app',
      comment: 'A subgraph imports only shared packages (payments: the provider client it calls); nothing imports back up into it.',
      severity: 'error',
      from: { path: '^subgraphs/' },
      to: { path: '^(gateway|workers|web|scripts|e2e|bench|deploy)/' },
    },
    {
      name: 'payment-provider-through-its-client',
      comment: "Payments talk to the provider through the client it exports (tests start its server the same way).",
      severity: 'error',
      from: { path: '^subgraphs/' },
      to: { path: '^payment-provider/', pathNot: '^payment-provider/src/(client|server|env)\\.ts$' },
    },
    {
      name: 'gateway-imports-no-subgraph',
      comment: 'The gateway knows subgraphs by their SDL in the supergraph only, tests included: its tests build graphs of their own.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^(subgraphs|workers|payment-provider|web|scripts|e2e|bench|deploy)/' },
    },
    {
      name: 'gateway-plugins-take-options',
      comment: "A gateway plugin takes its own options type; server.ts reads the configuration and hands each plugin its part.",
      severity: 'error',
      from: { path: '^gateway/src/plugins/', pathNot: TESTS },
      to: { path: '^gateway/src/env\\.ts$' },
    },
    {
      name: 'workers-call-service-modules',
      comment: "The workers' processors call a subgraph only through the service modules its package.json exports.",
      severity: 'error',
      from: { path: '^workers/src/', pathNot: TESTS },
      to: { path: '^subgraphs/', pathNot: serviceModules },
    },
    {
      name: 'subgraphs-entered-through-exports',
      comment: "Outside a subgraph, only what its package.json exports is imported (a test may start its server).",
      severity: 'error',
      from: { path: '^(?!subgraphs/)' },
      to: { path: '^subgraphs/[^/]+/(?!src/(server|env|seed)\\.ts$)', pathNot: serviceModules },
    },
    {
      name: 'packages-import-no-app',
      comment: 'packages/* is what the apps share; it imports none of them.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { path: APPS },
    },
    {
      name: 'web-imports-nothing-server-side',
      comment: "The storefront's browser code imports only itself and browser libraries, type imports included.",
      severity: 'error',
      from: { path: '^web/src/' },
      to: { pathNot: ['^web/src/', '^node_modules/'], couldNotResolve: false },
    },
    {
      name: 'web-imports-no-node-builtin',
      comment: "Node's own modules do not exist in a browser.",
      severity: 'error',
      from: { path: '^web/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'production-imports-no-test-code',
      comment: 'Test helpers live in test-only folders and are imported by tests only: no arrow runs from production code to them.',
      severity: 'error',
      from: { pathNot: TESTS },
      to: { path: TESTS },
    },
    {
      name: 'no-circular',
      comment: 'Modules form no cycle at run time: each arrow points one way (a cycle of type imports is erased by the compiler).',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)node_modules/', '(^|/)dist/', '^\\.turbo/'] },
    // `import type` is an arrow too: a browser bundle or a subgraph must not lean on the other side's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // Type-only packages (@graphql-typed-document-node/core, which generated web/src/gql/ imports) name their typings only.
      mainFields: ['main', 'typings'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
