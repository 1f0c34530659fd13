/** One sample of a Prometheus text page: its labels and value. */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** Every sample of metric `name` on a Prometheus `/metrics` page. */
export async function readMetric(url: string, name: string): Promise<MetricSample[]> {
  const text = await (await fetch(url)).text();
  const samples: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const labelText = line[name.length] === '{' ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    const labels: Record<string, string> = {};
    for (const match of labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = match[2]!;
    samples.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return samples;
}

/** Sums of metric `name` grouped by one label. */
export async function sumBy(url: string, name: string, label: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const sample of await readMetric(url, name)) {
    const key = sample.labels[label] ?? '';
    sums[key] = (sums[key] ?? 0) + sample.value;
  }
  return sums;
}
