import { describe, expect, it } from 'vitest';
import { LOADGEN, type SystemResult } from '../measure.js';
import { generatorVerdict } from './catalog.js';

const bare = (generatorCoresPerRound: number[], serverMs: number, generatorMs: number): SystemResult => ({
  key: 'bare-node-http',
  label: 'bare node:http',
  requests: 10_000,
  seconds: 1,
  requestsPerSecond: 10_000,
  roundRequestsPerSecond: [10_000],
  latencyMs: { p50: 1, p90: 2, p99: 3, mean: 1 },
  errors: { transport: 0, http: 0, graphql: 0, rate: 0, first: null },
  processes: {},
  cpuMsPerRequest: serverMs,
  cpuMsPerRequestByProcess: { 'bare node:http': serverMs, [LOADGEN]: generatorMs },
  generatorCoresPerRound,
  generatorSaturatedRounds: 0,
  headerCounts: {},
  sqlStatementsPerRequest: null,
});

const calibration = { requestsPerSecond: 20_000, generatorCores: 0.95, serverCores: 0.6, generatorCpuMsPerRequest: 0.05, generatorCeilingRequestsPerSecond: 20_000 };

describe('generatorVerdict', () => {
  it('says the generator set the pace when it kept nearly a core busy', () => {
    const verdict = generatorVerdict(bare([0.5, 0.93], 0.04, 0.03), calibration)!;
    expect(verdict).toMatchObject({ generatorCoresOnBare: 0.93, paceSetByGenerator: true, bareVsCalibration: 0.5 });
  });

  it('says so too when each request cost it more CPU than the server, though neither had a core to itself', () => {
    expect(generatorVerdict(bare([0.6, 0.62], 0.04, 0.05), calibration)).toMatchObject({ generatorVsServerCpu: 1.25, paceSetByGenerator: true });
  });

  it('leaves the pace to the server when the generator had CPU to spare and cost less per request', () => {
    expect(generatorVerdict(bare([0.4, 0.45], 0.05, 0.02), null)).toMatchObject({ paceSetByGenerator: false, bareVsCalibration: null });
  });

  it('has nothing to say without a measured bare node:http', () => {
    expect(generatorVerdict(undefined, calibration)).toBeNull();
  });
});
