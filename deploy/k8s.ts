import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Model } from '@kubernetes-models/base';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { parseAllDocuments } from 'yaml';

export const overlays = ['dev', 'prod'] as const;
export type Overlay = (typeof overlays)[number];

export const k8sDir = fileURLToPath(new URL('./k8s/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** A rendered object; its fields are checked against the API schemas before anything reads them. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * Throws, in one line, when `kubectl` (a prerequisite of these tests, see the README) is not on
 * PATH. The error carries no stack: what is missing is the whole story.
 */
export function requireKubectl(): void {
  const probe = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
  if ((probe.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') return;
  const missing = new Error(
    'kubectl not found on PATH: install it (https://kubernetes.io/docs/tasks/tools/, or Debian\'s kubernetes-client package) to render the Kubernetes overlays',
  );
  missing.stack = missing.message;
  throw missing;
}

/** `kubectl kustomize` of an overlay, parsed: exactly what `kubectl apply -k` would send. */
export function renderOverlay(overlay: Overlay): K8sObject[] {
  requireKubectl();
  const yaml = execFileSync('kubectl', ['kustomize', `${k8sDir}overlays/${overlay}`], {
    encoding: 'utf8',
    // Newer kustomize warns about `bases` on stderr; we keep them for kustomize 2.0.3 (see the base).
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  return parseAllDocuments(yaml)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${overlay}: ${document.errors.map(String).join('; ')}`);
      return document.toJS() as K8sObject | null;
    })
    .filter((object): object is K8sObject => object !== null)
    .map(unwrapSecretData);
}

/**
 * Newer kustomize folds long base64 values over several lines. The API server's decoder skips
 * the line breaks, the schema's `byte` format does not: join them as the server would.
 */
function unwrapSecretData(object: K8sObject): K8sObject {
  if (object.kind !== 'Secret' || !object.data) return object;
  const data = Object.fromEntries(Object.entries(object.data as Record<string, string>).map(([key, value]) => [key, value.replace(/\s+/g, '')]));
  return { ...object, data };
}

type ModelClass = new (data?: object) => Model<object>;

/** The kinds the manifests may contain, each with its API schema (kubernetes-models). */
const models: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
} as Record<string, ModelClass>;

/**
 * Validates `object` against its kind's API schema, strictly: the schemas allow fields they do
 * not know (so does a lenient API server), but `kubectl apply` validates strictly and a typo such
 * as `readinesProbe` would silently drop a probe. The validator reads every field it knows, so
 * a field of an object it inspected and never read is unknown to the API.
 */
export function schemaProblems(object: K8sObject): string[] {
  const ModelOfKind = models[`${object.apiVersion}/${object.kind}`];
  if (!ModelOfKind) return [`no API schema known for ${object.apiVersion} ${object.kind}: add it to deploy/k8s.ts`];

  const readKeys = new Map<object, Set<string>>();
  const proxies = new WeakMap<object, object>();
  const watch = <T>(value: T): T => {
    if (value === null || typeof value !== 'object') return value;
    const known = proxies.get(value);
    if (known) return known as T;
    const keys = new Set<string>();
    readKeys.set(value, keys);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === 'string') keys.add(key);
        return watch(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        if (typeof key === 'string') keys.add(key);
        return Reflect.has(target, key);
      },
      // Maps (labels, data …) are iterated: all their keys are legitimately read.
      ownKeys(target) {
        for (const key of Reflect.ownKeys(target)) if (typeof key === 'string') keys.add(key);
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy as T;
  };

  // The model's constructor deep-copies plain objects; assigning afterwards keeps the proxies.
  const model = new ModelOfKind() as unknown as Record<string, unknown>;
  const copy = structuredClone(object) as Record<string, unknown>;
  for (const [key, value] of Object.entries(copy)) model[key] = value;
  const problems: string[] = [];
  try {
    (model as unknown as Model<object>).validate.call(watch(model));
  } catch (error) {
    problems.push((error as Error).message);
  }
  const findUnknown = (value: unknown, path: string) => {
    if (value === null || typeof value !== 'object') return;
    const keys = readKeys.get(value);
    for (const [key, child] of Object.entries(value)) {
      // An object the validator never entered is opaque to the schema (nothing to compare with).
      if (!Array.isArray(value) && keys && keys.size > 0 && !keys.has(key)) problems.push(`unknown field ${path}${key}`);
      findUnknown(child, `${path}${key}.`);
    }
  };
  findUnknown(model, '');
  return problems;
}

export const byKind = <T>(objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind) as unknown as (T & K8sObject)[];

export function findObject<T>(objects: K8sObject[], kind: string, name: string): T & K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found as unknown as T & K8sObject;
}

/** Every pod the manifests run, with what runs it. */
export interface PodOf {
  owner: K8sObject;
  template: IPodTemplateSpec;
}

export function podsOf(objects: K8sObject[]): PodOf[] {
  return objects.flatMap((object) => {
    if (!['Deployment', 'StatefulSet', 'Job'].includes(object.kind)) return [];
    const { template } = object.spec as { template: IPodTemplateSpec };
    return [{ owner: object, template }];
  });
}

export const containersOf = (pod: PodOf): IContainer[] => [...(pod.template.spec?.initContainers ?? []), ...(pod.template.spec?.containers ?? [])];

/** Where the platform's own image runs a process: the repository path of its entry point, and its arguments. */
export function entryOf(container: IContainer): { entry: string; args: string[] } {
  const [script = '', ...args] = container.args ?? [];
  const dir = (container.workingDir ?? '/app').replace(/^\/app\/?/, '');
  return { entry: dir ? `${dir}/${script}` : script, args };
}

/** The prod Secret's keys as documented in secrets.env.example: set ones and commented-out (optional) ones. */
export function exampleSecret(): { values: Record<string, string>; optional: Set<string> } {
  const text = readFileSync(`${k8sDir}overlays/prod/secrets.env.example`, 'utf8');
  const values: Record<string, string> = {};
  const optional = new Set<string>();
  for (const line of text.split('\n')) {
    const set = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (set) values[set[1]!] = set[2]!;
    const commented = /^# ([A-Z][A-Z0-9_]*)=/.exec(line);
    if (commented) optional.add(commented[1]!);
  }
  return { values, optional };
}

/** A container's environment as the kubelet would build it from the rendered objects. */
export interface ResolvedEnv {
  /** Every variable the container is given, optional secret keys included even when absent. */
  names: Set<string>;
  /** The values present, as the process would see them. */
  values: Record<string, string>;
  /** References to ConfigMaps, Secrets or keys that do not exist. */
  problems: string[];
}

/**
 * Resolves a container's `envFrom` and `env`. Secrets missing from the render (prod's
 * `shopgraph-secrets`, created by the operator) resolve from `externalSecrets`.
 */
export function resolveEnv(container: IContainer, objects: K8sObject[], externalSecrets: Record<string, Record<string, string>>): ResolvedEnv {
  const names = new Set<string>();
  const values: Record<string, string> = {};
  const problems: string[] = [];
  const configMap = (name: string) => objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)?.data as Record<string, string> | undefined;
  const secret = (name: string) => {
    const rendered = objects.find((o) => o.kind === 'Secret' && o.metadata.name === name);
    if (!rendered) return externalSecrets[name];
    const data = (rendered.data ?? {}) as Record<string, string>;
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  };
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name ?? source.secretRef?.name ?? '';
    const data = source.configMapRef ? configMap(name) : secret(name);
    if (!data) {
      problems.push(`envFrom ${name} does not exist`);
      continue;
    }
    for (const [key, value] of Object.entries(data)) {
      names.add(key);
      values[key] = value;
    }
  }
  for (const variable of container.env ?? []) {
    names.add(variable.name);
    const from = variable.valueFrom;
    if (!from) {
      values[variable.name] = variable.value ?? '';
      continue;
    }
    const ref = from.configMapKeyRef ?? from.secretKeyRef;
    if (!ref) {
      problems.push(`${variable.name}: only values, ConfigMap and Secret keys are expected`);
      continue;
    }
    const data = from.configMapKeyRef ? configMap(ref.name ?? '') : secret(ref.name ?? '');
    const value = data?.[ref.key];
    if (value !== undefined) values[variable.name] = value;
    else if (!ref.optional) problems.push(`${variable.name}: ${ref.name} has no key ${ref.key}`);
  }
  return { names, values, problems };
}

/** The subset of a label selector the manifests use. */
export const selects = (matchLabels: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(matchLabels ?? {}).every(([key, value]) => labels?.[key] === value);
