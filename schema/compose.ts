import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { composeSubgraphs } from './composition.js';
import { supergraphPath } from './subgraphs.js';

// `npm run compose`: regenerates supergraph.graphql from the subgraphs' schema.graphql files.
const outcome = composeSubgraphs();
if (!outcome.ok) {
  console.error(`Composition failed:\n${outcome.errors.map((error) => `  - ${error}`).join('\n')}`);
  process.exit(1);
}
for (const hint of outcome.hints) console.warn(`hint: ${hint}`);

const previous = (() => {
  try {
    return readFileSync(supergraphPath, 'utf8');
  } catch {
    return undefined;
  }
})();
if (previous === outcome.supergraphSdl) {
  console.log(`${supergraphPath} is up to date.`);
} else {
  // Write then rename: a gateway watching the file never reads half of it.
  const temporary = `${supergraphPath}.${process.pid}.tmp`;
  writeFileSync(temporary, outcome.supergraphSdl);
  renameSync(temporary, supergraphPath);
  console.log(`Wrote ${supergraphPath}.`);
}
