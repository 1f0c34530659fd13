import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchmark } from './benchmark.js';
import { parseOptions } from './options.js';
import { Progress } from './progress.js';
import type { BenchReport } from './report/report.js';

const resultsDir = mkdtempSync(join(tmpdir(), 'sg-bench-'));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

const isNumberOrNull = (value: unknown) => value === null || (typeof value === 'number' && Number.isFinite(value));

// The quick benchmark, end to end, on a real platform: only the report's shape is checked,
// never a number against a time (the machine may be as busy as it likes).
describe('npm run bench --quick', () => {
  it('writes a well-formed report: JSON, Markdown and SVG charts, every scenario run', { timeout: 600_000 }, async () => {
    const options = parseOptions(['--quick', '--name', 'test'], {}, resultsDir);
    const { report, files } = await runBenchmark(options, new Progress(process.stderr, true));

    const written = JSON.parse(readFileSync(files.json, 'utf8')) as BenchReport;
    expect(written).toEqual(JSON.parse(JSON.stringify(report)));
    expect(written.version).toBe(2);
    expect(written.name).toBe('test');
    expect(files.json).toBe(join(resultsDir, `${written.date}-test.json`));
    expect(written.hardware.cores).toBeGreaterThan(0);
    expect(written.hardware.node).toBe(process.version);
    expect(written.hardware.postgres).toMatch(/^PostgreSQL \d+/);

    // Each scenario ran; anything not measured says why.
    expect(written.missing.filter((m) => m.includes('the scenario failed'))).toEqual([]);
    for (const name of ['catalog', 'deep', 'checkout', 'balancing', 'pipeline', 'entityCache', 'subscriptions'] as const) expect(written.scenarios[name]).toBeTruthy();
    for (const ratio of written.ratios) {
      expect(isNumberOrNull(ratio.value)).toBe(true);
      if (ratio.value === null) expect(ratio.reason).toBeTruthy();
    }
    expect(written.headline).toHaveLength(written.ratios.length);

    // Every system measured served requests without errors, with ordered percentiles.
    const systems = [...written.scenarios.catalog!.workloads.flatMap((w) => w.systems), ...written.scenarios.deep!.systems, written.scenarios.pipeline!.system];
    for (const system of systems) {
      expect(system.requests, system.label).toBeGreaterThan(0);
      // The load generator's CPU is reported per round, never counted as the system's.
      expect(system.generatorCoresPerRound, system.label).toHaveLength(written.settings.rounds);
      expect(Object.keys(system.cpuMsPerRequestByProcess), system.label).toContain('load generator');
      // The first failed answer says why, when there is one.
      expect(system.errors, `${system.label}: ${system.errors.first}`).toMatchObject({ transport: 0, http: 0, graphql: 0 });
      expect(system.latencyMs.p50).toBeLessThanOrEqual(system.latencyMs.p90);
      expect(system.latencyMs.p90).toBeLessThanOrEqual(system.latencyMs.p99);
    }
    // The new figures are reported, each with its target: per process, Postgres included, for the systems that read the database.
    const keys = written.ratios.map((r) => r.key);
    for (const key of ['deepCpuTotal', 'deepCpuGateway', 'catalogPageMissCpu', 'deepGatewayVsPlain', 'subgraphPipeline', 'generatorCoresOnBare', 'generatorVsBareCpu', 'unlimitedL1VsBareCpu']) {
      expect(keys).toContain(key);
      expect(written.ratios.find((r) => r.key === key)!.target).toBeTruthy();
    }
    expect(written.scenarios.deep!.systems.map((s) => s.key)).toEqual(expect.arrayContaining(['dataloader', 'ours-no-dedupe', 'plain-apollo-gateway']));
    for (const system of written.scenarios.deep!.systems) expect(Object.keys(system.processes), system.label).toContain('postgres');
    expect(written.scenarios.catalog!.calibration).not.toBeNull();
    expect(written.postgresCpu).toBeTruthy();
    expect(written.scenarios.checkout!.oversold).toBe(0);
    expect(written.scenarios.checkout!.byStatus.PAID).toBeGreaterThan(0);
    // Subscriptions (issue 17), a tenth of the full run's 5,000: every one open on the gateway, orders paid and pushed.
    const subscriptions = written.scenarios.subscriptions!;
    expect(subscriptions.missing).toEqual([]);
    expect(subscriptions.openOnGateway).toBe(subscriptions.open);
    expect(subscriptions.open).toBe(500);
    expect(subscriptions.checkout.paid).toBeGreaterThan(0);
    expect(subscriptions.gatewayPushLatencyMs.samples).toBeGreaterThan(0);
    for (const key of ['subscriptionsOpen', 'subscriptionsHeapBytes', 'subscriptionsPushP50', 'subscriptionsPushP99']) expect(keys).toContain(key);
    expect(written.ratios.find((r) => r.key === 'subscriptionsOpen')).toMatchObject({ met: true });

    const markdown = readFileSync(files.markdown, 'utf8');
    expect(markdown).toContain('## Headline');
    expect(markdown).toContain('## 5c. Subscriptions');
    // How far apart two processes doing the same work land, beside the per-process figures.
    expect(markdown).toMatch(/\*\*Two processes, same work:\*\* .* \d+ % apart/);
    expect(markdown).toContain(written.hardware.cpuModel);
    expect(files.charts.length).toBeGreaterThan(0);
    for (const chart of files.charts) {
      expect(existsSync(chart)).toBe(true);
      expect(readFileSync(chart, 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(markdown).toContain(chart.slice(resultsDir.length + 1));
    }
  });
});
