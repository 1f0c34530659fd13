import { freePort, startRedisCluster, startRedisSentinel, type TestRedisCluster, type TestRedisSentinel } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedis, DependencyError } from './deps.js';

let cluster: TestRedisCluster;
let sentinel: TestRedisSentinel;

beforeAll(async () => {
  [cluster, sentinel] = await Promise.all([startRedisCluster(), startRedisSentinel()]);
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), sentinel?.stop()]);
});

/** The error `checkRedis(url)` rejects with. */
async function refusal(url: string): Promise<DependencyError> {
  const error = await checkRedis(url, 500).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

describe('checkRedis beyond one node', () => {
  it('passes for a cluster and for the master a sentinel names', async () => {
    await expect(checkRedis(cluster.url)).resolves.toBeUndefined();
    await expect(checkRedis(sentinel.url)).resolves.toBeUndefined();
  });

  it('says in one line, password hidden, that a cluster or the sentinels do not answer', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const clusterError = await refusal(`redis-cluster://:hunter2@127.0.0.1:${a},127.0.0.1:${b}`);
    expect(clusterError.message).toMatch(new RegExp(`^Redis at redis-cluster://:\\*\\*\\*@127\\.0\\.0\\.1:${a},127\\.0\\.0\\.1:${b} does not answer \\(.+\\)\\. Check that the cluster nodes`));

    const sentinelError = await refusal(`redis-sentinel://:hunter2@127.0.0.1:${a}/mymaster?sentinelPassword=hunter3`);
    expect(sentinelError.message).toMatch(
      new RegExp(`^Redis at redis-sentinel://:\\*\\*\\*@127\\.0\\.0\\.1:${a}/mymaster\\?sentinelPassword=\\*\\*\\* does not answer \\(All sentinels are unreachable`),
    );
    // Sentinels that answer but do not know the master name.
    const unknownMaster = await refusal(`redis-sentinel://127.0.0.1:${sentinel.sentinelPort}/not-${sentinel.masterName}`);
    expect(unknownMaster.message).toMatch(/does not answer \(.+\)\. Check that the sentinels listed answer and monitor that master name\.$/);

    for (const error of [clusterError, sentinelError, unknownMaster]) {
      expect(error.message).not.toContain('\n');
      expect(error.message).not.toContain('hunter');
    }
  });
});
