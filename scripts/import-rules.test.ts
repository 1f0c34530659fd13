import { readFileSync } from 'node:fs';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseConfig from 'dependency-cruiser/config-utl/extract-depcruise-config';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { expect, it } from 'vitest';

/*
 * The import rules of docs/architecture.md, as .dependency-cruiser.cjs states them, over every
 * workspace and scripts/. A new workspace is checked as soon as package.json lists it.
 */

const root = new URL('..', import.meta.url).pathname;

it('every import follows the rules of docs/architecture.md', { timeout: 180_000 }, async () => {
  const { workspaces } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { workspaces: string[] };
  const folders = [...new Set(workspaces.map((workspace) => workspace.replace(/\/\*$/, ''))), 'scripts'];
  const ruleSet = await extractDepcruiseConfig(`${root}.dependency-cruiser.cjs`);
  const tsConfig = extractTSConfig(`${root}${ruleSet.options?.tsConfig?.fileName ?? 'tsconfig.base.json'}`);

  const { output } = await cruise(folders, { validate: true, ruleSet, baseDir: root }, {}, { tsConfig });

  const { summary } = output as ICruiseResult;
  const violations = summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} → ${violation.to}`);
  expect(violations).toEqual([]);
  // A cruise that found nothing to check would pass as well: it must have seen the workspaces.
  expect(summary.totalCruised).toBeGreaterThan(300);
});
