import { readdirSync, readFileSync, statSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { queueNames } from '@shopgraph/queues';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot } from './k8s.js';

interface MetricDefinition {
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labels: string[];
}

/** Labels Prometheus adds to every series of a scrape target, and the bucket label of histograms. */
const targetLabels = ['instance', 'job', 'namespace', 'pod', 'le'];

/** The folders holding the processes' code (tests and dependencies aside). */
const codeRoots = ['gateway', 'subgraphs', 'workers', 'payment-provider', 'packages', 'web/server'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = `${dir}/${name}`;
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every `shopgraph_*` metric the code registers, with its type and label names. */
function platformMetrics(): Map<string, MetricDefinition> {
  const metrics = new Map<string, MetricDefinition>();
  for (const file of codeRoots.flatMap((root) => sourceFiles(`${repoRoot}${root}`))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/name:\s*'(shopgraph_[a-z0-9_]+)'/g)) {
      const before = text.slice(0, match.index);
      const type = [...before.matchAll(/new (Counter|Gauge|Histogram|Summary)\b/g)].at(-1)?.[1];
      // The metric's own options end where the next metric's name begins.
      const after = text.slice(match.index + match[0].length).split(/name:\s*'shopgraph_/)[0]!;
      const labels = /labelNames:\s*\[([^\]]*)\]/.exec(after)?.[1]?.match(/'([a-z_]+)'/g)?.map((label) => label.slice(1, -1)) ?? [];
      if (type) metrics.set(match[1]!, { type: type.toLowerCase() as MetricDefinition['type'], labels });
    }
  }
  return metrics;
}

/** prom-client's default process metrics, which every process registers (packages/common/src/http.ts). */
async function defaultMetrics(): Promise<Map<string, MetricDefinition>> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = await registry.getMetricsAsJSON();
  return new Map(
    metrics.map((metric) => [
      metric.name,
      {
        type: String(metric.type) as MetricDefinition['type'],
        labels: [...new Set(metric.values.flatMap((value) => Object.keys(value.labels)))],
      },
    ]),
  );
}

/** The series names a metric exports: a histogram's _bucket, _sum and _count. */
function seriesNames(metrics: Map<string, MetricDefinition>): Map<string, MetricDefinition> {
  const series = new Map<string, MetricDefinition>();
  for (const [name, definition] of metrics) {
    if (definition.type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) series.set(`${name}${suffix}`, definition);
    else series.set(name, definition);
  }
  return series;
}

const known = seriesNames(new Map([...platformMetrics(), ...(await defaultMetrics())]));

/** What is wrong with a PromQL expression: syntax, unknown series, unknown labels, unknown queues. */
function queryProblems(expr: string): { problems: string[]; series: string[] } {
  const problems: string[] = [];
  const series: string[] = [];
  const grouping: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      const text = expr.slice(node.from, node.to);
      if (node.type.isError) problems.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`);
      if (node.name === 'GroupingLabels') for (const label of text.slice(1, -1).split(',')) if (label.trim()) grouping.push(label.trim());
      if (node.name !== 'VectorSelector') return;
      const name = node.node.getChild('Identifier');
      const metric = name ? expr.slice(name.from, name.to) : '';
      series.push(metric);
      const definition = known.get(metric);
      if (!definition) {
        problems.push(`no process exports ${metric}`);
        return;
      }
      for (const matcher of node.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
        const label = matcher.getChild('LabelName');
        const value = matcher.getChild('StringLiteral');
        const labelName = label ? expr.slice(label.from, label.to) : '';
        if (![...definition.labels, ...targetLabels].includes(labelName)) problems.push(`${metric} has no label ${labelName}`);
        const op = matcher.getChild('MatchOp');
        const exact = op && ['=', '!='].includes(expr.slice(op.from, op.to));
        const queue = value ? expr.slice(value.from + 1, value.to - 1) : '';
        if (labelName === 'queue' && exact && !(queueNames as readonly string[]).includes(queue)) problems.push(`no queue is called ${queue}`);
      }
    },
  });
  const labels = new Set([...targetLabels, ...series.flatMap((name) => known.get(name)?.labels ?? [])]);
  for (const label of grouping) if (!labels.has(label)) problems.push(`grouped by ${label}, which none of ${series.join(', ')} has`);
  return { problems, series };
}

describe('the Prometheus alert rules', () => {
  const rules = (parse(readFileSync(`${repoRoot}deploy/prometheus/alerts.yaml`, 'utf8')) as {
    groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[];
  }).groups.flatMap((group) => group.rules);

  it('are well-formed: a name, a severity and a summary each', () => {
    expect(rules.length).toBeGreaterThan(5);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^Shopgraph[A-Za-z]+$/);
      expect(['warning', 'critical']).toContain(rule.labels.severity);
      expect(rule.annotations.summary, rule.alert).toBeTruthy();
      if (rule.for) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
  });

  it('query only series the processes export, by labels those series have', () => {
    expect(rules.flatMap((rule) => queryProblems(rule.expr).problems.map((problem) => `${rule.alert}: ${problem}`))).toEqual([]);
  });

  it('cover error rate, p99 latency, queue depth, dead letters, open breakers and ejected replicas', () => {
    const watched = new Set(rules.flatMap((rule) => queryProblems(rule.expr).series));
    for (const series of [
      'shopgraph_gateway_errors_total',
      'shopgraph_gateway_operation_duration_seconds_bucket',
      'shopgraph_queue_depth',
      'shopgraph_job_attempts_total',
      'shopgraph_gateway_subgraph_breaker_state',
      'shopgraph_gateway_subgraph_ejections_total',
    ]) {
      expect(watched).toContain(series);
    }
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(`${repoRoot}deploy/grafana/shopgraph.json`, 'utf8')) as {
    uid: string;
    panels: { id: number; type: string; title: string; gridPos: { x: number; w: number }; targets?: { expr: string; refId: string }[] }[];
  };

  it('has panels with unique ids, each within the 24-column grid', () => {
    expect(dashboard.uid).toBe('shopgraph');
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
  });

  it('queries only series the processes export, by labels those series have', () => {
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
    expect(queries.length).toBeGreaterThan(20);
    // Grafana fills in $__rate_interval; any duration parses the same.
    const problems = queries.flatMap(({ panel, expr }) => queryProblems(expr.replaceAll('$__rate_interval', '1m')).problems.map((p) => `${panel}: ${p}`));
    expect(problems).toEqual([]);
  });
});
