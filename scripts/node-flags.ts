/**
 * The V8 flags every process of the platform runs with, before `--import tsx <entry>`: by
 * `npm start` (scripts/platform.ts), `turbo run dev` (scripts/dev.ts), the benchmark
 * (bench/src/processes.ts) and the scale test (deploy/scale/cluster.ts); the image's ENTRYPOINT
 * (Dockerfile), which Kubernetes and docker-compose run, says the same (deploy/manifests.test.ts).
 *
 * `--max-semi-space-size=64` (MiB; Node's default is 16): a request's garbage — parsed bodies,
 * Apollo's result trees, the query plan's representations — dies young, but with 32 requests in
 * flight a 16 MiB nursery fills before they finish, so the scavenger copies them and promotes
 * them to the old generation, whose collections cost far more. Measured on the deep private read
 * (a bench harness on two cores, cache off, systems measured in interleaved rounds): a gateway and
 * its four subgraphs all at 16 MiB against all at 64 MiB, 12.7 → 9.4 ms of CPU per request over
 * every process (gateway 5.0 → 3.6, each subgraph 26–33 % lower); four gateways over the same
 * subgraphs, 4.0 ms at 16 MiB, 3.5 at 32, 3.3 at 64, 3.0 at 128. The young generation may then
 * take up to three semi-spaces (192 MiB) more under load, which the Kubernetes memory limits
 * allow for.
 */
export const serviceNodeFlags = ['--max-semi-space-size=64'] as const;
