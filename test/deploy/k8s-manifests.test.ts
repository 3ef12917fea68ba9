/**
 * Checks deploy/k8s offline: renders the kustomize base, the gpu overlay and the overlay shown in
 * docs/deployment.md (with the small renderer in kustomize-render.ts, compared with
 * `kubectl kustomize` where kubectl is installed), validates every object against the
 * Kubernetes schemas (kubernetes-models), and checks the objects against the code: the config
 * each container's environment loads to, ports, probes, drain timing, references, the token
 * Secret, and the commands of the docs' Kubernetes section.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { parse as parseYaml } from 'yaml';
import { loadBackendConfig, loadWorkerConfig } from '../../src/config/env.js';
import { WORKER_TYPES } from '../../src/contracts/worker.js';
import { api, CLI, freePort, type Proc, spawnNode, tempDir, waitFor, waitForStatus, waitForWorkers } from '../helpers/cluster.js';
import { repoRoot } from '../helpers/paths.js';
import {
  BACKEND_FORCE_EXIT_SECONDS,
  ENV_NAMES,
  FINAL_REPORT_SECONDS,
  readRepoFile,
  WORKER_FORCE_EXIT_AFTER_DRAIN_SECONDS,
} from './code-facts.js';
import { type K8sObject, KustomizeError, parseEnvFile, parseYamlStream, renderKustomization, strategicMerge } from './kustomize-render.js';

// ---------------------------------------------------------------------------------------------
// Kubernetes object shapes this test reads (the schemas are checked by kubernetes-models)
// ---------------------------------------------------------------------------------------------

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string };
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number };
    configMapKeyRef?: unknown;
  };
}
interface HttpProbe {
  httpGet?: { path?: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  [source: string]: unknown;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: string; effect?: string }[];
}
interface DeploymentObj extends K8sObject {
  spec: {
    replicas?: number;
    strategy?: { type?: string };
    selector: { matchLabels?: Record<string, string> };
    template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}
interface ServiceObj extends K8sObject {
  spec: { selector?: Record<string, string>; ports: { name?: string; port: number; targetPort?: number | string }[] };
}
interface PdbObj extends K8sObject {
  spec: { selector: { matchLabels?: Record<string, string> }; maxUnavailable?: number | string; minAvailable?: number | string };
}
interface PvcObj extends K8sObject {
  spec: { accessModes: string[] };
}
interface SecretObj extends K8sObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

// ---------------------------------------------------------------------------------------------
// Rendering from a scratch copy of deploy/k8s (base/token.env is the operator's, git-ignored)
// ---------------------------------------------------------------------------------------------

const TEST_TOKEN = 'test-token-0123456789abcdef0123456789abcdef';
const DOCS_OVERLAY_DIR = 'deploy/k8s/overlays/my-cluster';
const kubectlAvailable = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

let scratch = '';
/** Renders `rel` (a directory under the scratch copy of the repository's deploy/k8s). */
function render(rel: string, kustomization?: unknown): K8sObject[] {
  return renderKustomization(join(scratch, rel), kustomization);
}

const deployments = (objs: K8sObject[]) => objs.filter((o): o is DeploymentObj => o.kind === 'Deployment');
const byKind = <T extends K8sObject>(objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind) as T[];
const find = <T extends K8sObject>(objs: K8sObject[], kind: string, name: string): T => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `no ${kind}/${name}`);
  return o as T;
};
const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const sorted = (objs: K8sObject[]) => [...objs].sort((a, b) => key(a).localeCompare(key(b)));
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

// ---------------------------------------------------------------------------------------------
// What the kubelet would give a container
// ---------------------------------------------------------------------------------------------

/** A Kubernetes quantity as a number ("500m" = 0.5, "2Gi" = 2 * 2^30). */
function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(q);
  assert.ok(m, `unparsable quantity '${q}'`);
  const unit: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? unit[m[2]]! : 1);
}

/** `$(NAME)` references in an env value (`$$` escapes). */
const references = (value: string) => [...value.replace(/\$\$/g, '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1]!);

interface Pod {
  name: string;
  ip: string;
}

/** The container's environment as the kubelet resolves it: downward API, secrets, `$(VAR)` expansion. */
function resolveEnv(c: Container, pod: Pod, objs: K8sObject[], namespace: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const from = e.valueFrom;
    if (e.value !== undefined) {
      out[e.name] = e.value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
        name === undefined ? '$' : (out[name] ?? m),
      );
    } else if (from?.fieldRef) {
      const values: Record<string, string> = { 'metadata.name': pod.name, 'status.podIP': pod.ip, 'metadata.namespace': namespace ?? 'default' };
      const v = values[from.fieldRef.fieldPath];
      assert.ok(v !== undefined, `${c.name} ${e.name}: fieldRef ${from.fieldRef.fieldPath} not handled by this test`);
      out[e.name] = v;
    } else if (from?.secretKeyRef) {
      const s = objs.find((o) => o.kind === 'Secret' && o.metadata.name === from.secretKeyRef!.name && o.metadata.namespace === namespace) as
        | SecretObj
        | undefined;
      assert.ok(s, `${c.name} ${e.name}: Secret ${from.secretKeyRef.name} is not in namespace ${namespace}`);
      const b64 = s.data?.[from.secretKeyRef.key];
      const plain = s.stringData?.[from.secretKeyRef.key];
      assert.ok(b64 !== undefined || plain !== undefined, `${c.name} ${e.name}: Secret ${s.metadata.name} has no key ${from.secretKeyRef.key}`);
      out[e.name] = plain ?? Buffer.from(b64!, 'base64').toString('utf8');
    } else if (from?.resourceFieldRef) {
      const { containerName, resource, divisor } = from.resourceFieldRef;
      assert.ok(containerName === undefined || containerName === c.name, `${c.name} ${e.name}: resourceFieldRef of another container`);
      const [kind, res] = resource.split('.') as ['limits' | 'requests', string];
      const q = c.resources?.[kind]?.[res];
      // Without the limit the kubelet would give the node's allocatable amount: not what is meant.
      assert.ok(q !== undefined, `${c.name} ${e.name}: ${resource} is not set on the container`);
      out[e.name] = String(Math.ceil(quantity(q) / quantity(divisor ?? 1)));
    } else {
      assert.fail(`${c.name} ${e.name}: no value, or a valueFrom this test does not handle`);
    }
  }
  return out;
}

/** The port number a probe or Service targetPort names, in this container. */
function resolvePort(c: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

/** Seconds a preStop hook takes (`sleep N` or the sleep action). */
function preStopSeconds(c: Container): number {
  const h = c.lifecycle?.preStop;
  assert.ok(h, `${c.name}: no preStop hook`);
  if (h.sleep) return h.sleep.seconds;
  const cmd = h.exec?.command ?? [];
  assert.ok(cmd.length === 2 && cmd[0] === 'sleep' && /^\d+$/.test(cmd[1]!), `${c.name}: preStop should be a plain pause, got ${JSON.stringify(cmd)}`);
  return Number(cmd[1]);
}

const appContainer = (d: DeploymentObj): Container => {
  assert.equal(d.spec.template.spec.containers.length, 1, `${d.metadata.name}: one container`);
  return d.spec.template.spec.containers[0]!;
};

/** What the image provides under /app (runtime stage of docker/Dockerfile: COPY destinations and mkdir -p). */
const IMAGE_PATHS: readonly string[] = (() => {
  const dockerfile = readRepoFile('docker/Dockerfile');
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  assert.match(runtime, /^WORKDIR \/app$/m);
  const copied = [...runtime.matchAll(/^COPY .* (\.\/[\w./-]+)$/gm)].map((m) => posix.join('/app', m[1]!).replace(/\/$/, ''));
  const made = [...runtime.matchAll(/mkdir -p ([^&\n]+)/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
  return [...copied, ...made];
})();
const under = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The config a container's command loads (ConfigError here means the pod would crash-loop). */
function loadContainerConfig(d: DeploymentObj, objs: K8sObject[], pod: Pod) {
  const c = appContainer(d);
  const env = resolveEnv(c, pod, objs, d.metadata.namespace);
  // The image has config/ at /app/config; here it is the checkout's.
  const local = { ...env, KTRDR_CONFIG_DIR: env['KTRDR_CONFIG_DIR']?.replace(/^\/app\//, `${repoRoot}/`) };
  const args = c.args ?? [];
  if (args[0] === 'backend') {
    assert.equal(args.length, 1, `${d.metadata.name}: ${JSON.stringify(args)}`);
    return { kind: 'backend' as const, env, backend: loadBackendConfig(local) };
  }
  assert.equal(args[0], 'worker', `${d.metadata.name}: not a ktrdr command: ${JSON.stringify(args)}`);
  assert.ok((WORKER_TYPES as readonly string[]).includes(args[1] ?? ''), `${d.metadata.name}: unknown worker type ${args[1]}`);
  assert.equal(args.length, 2, `${d.metadata.name}: ${JSON.stringify(args)}`);
  return { kind: 'worker' as const, env, worker: loadWorkerConfig(args[1]!, local) };
}

// ---------------------------------------------------------------------------------------------
// The rules every rendering must follow
// ---------------------------------------------------------------------------------------------

function checkSchemas(objs: K8sObject[]): void {
  for (const o of objs) {
    const Model = MODELS[`${o.apiVersion}/${o.kind}`];
    assert.ok(Model, `${key(o)}: ${o.apiVersion} ${o.kind} has no model in this test (add it to MODELS)`);
    try {
      new Model(o as never).validate();
    } catch (err) {
      assert.fail(`${key(o)} does not match the Kubernetes schema: ${(err as Error).message}`);
    }
  }
}

function checkNamespaceAndReferences(objs: K8sObject[]): void {
  const namespaces = byKind(objs, 'Namespace').map((n) => n.metadata.name);
  assert.equal(namespaces.length, 1, 'one Namespace');
  for (const o of objs.filter((x) => x.kind !== 'Namespace')) assert.equal(o.metadata.namespace, namespaces[0], `${key(o)}: namespace`);
  assert.equal(new Set(objs.map(key)).size, objs.length, 'duplicate objects');
  for (const d of deployments(objs)) {
    const pod = d.spec.template.spec;
    const volumes = pod.volumes ?? [];
    for (const v of volumes) {
      const sources = Object.keys(v).filter((k) => k !== 'name');
      assert.equal(sources.length, 1, `${d.metadata.name} volume ${v.name}: exactly one source, got ${sources.join(', ')}`);
      if (v.persistentVolumeClaim) find(objs, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName);
    }
    const all = [...(pod.initContainers ?? []), ...pod.containers];
    for (const c of all) {
      for (const m of c.volumeMounts ?? []) assert.ok(volumes.some((v) => v.name === m.name), `${d.metadata.name}/${c.name}: no volume ${m.name}`);
    }
    for (const v of volumes) {
      assert.ok(all.some((c) => c.volumeMounts?.some((m) => m.name === v.name)), `${d.metadata.name}: volume ${v.name} is never mounted`);
    }
  }
}

function checkEnvNames(objs: K8sObject[]): void {
  for (const d of deployments(objs)) {
    const pod = d.spec.template.spec;
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      const env = c.env ?? [];
      env.forEach((e, i) => {
        // A helper only for `$(NAME)` expansion in a later variable (POD_IP) is fine; the code never sees a meaning in it.
        const helper = env.slice(i + 1).some((later) => later.value !== undefined && references(later.value).includes(e.name));
        assert.ok(ENV_NAMES.has(e.name) || helper, `${d.metadata.name}/${c.name}: ${e.name} is not in src/config/env-schema.ts`);
        for (const ref of e.value !== undefined ? references(e.value) : []) {
          assert.ok(env.slice(0, i).some((earlier) => earlier.name === ref), `${d.metadata.name}/${c.name}: ${e.name} uses $(${ref}) before it is defined`);
        }
        if (e.name === 'KTRDR_API_TOKEN') assert.ok(e.valueFrom?.secretKeyRef, `${d.metadata.name}/${c.name}: the token must come from the Secret`);
      });
      assert.equal(new Set(env.map((e) => e.name)).size, env.length, `${d.metadata.name}/${c.name}: a variable set twice`);
    }
  }
}

function checkPods(objs: K8sObject[]): void {
  const all = deployments(objs);
  for (const d of all) {
    const name = d.metadata.name;
    const pod = d.spec.template.spec;
    assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${name}: selector does not match its pods`);
    for (const other of all.filter((x) => x !== d)) {
      assert.ok(!matches(d.spec.selector.matchLabels, other.spec.template.metadata.labels), `${name}'s selector also matches ${other.metadata.name}'s pods`);
    }
    // No docker-link variables (a Service named ktrdr-api would inject KTRDR_API_PORT=tcp://...).
    assert.equal(pod.enableServiceLinks, false, `${name}: enableServiceLinks`);
    assert.equal(pod.automountServiceAccountToken, false, `${name}: automountServiceAccountToken`);
    assert.equal(pod.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
    assert.equal(pod.securityContext?.runAsUser, 1000, `${name}: the image's node user`);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      assert.match(c.image, /^(?:[\w.-]+(?::\d+)?\/)*ktrdr(?:-gpu)?(?::[\w.-]+)?$/, `${name}/${c.name}: image ${c.image}`);
      // A :latest image would default to Always, and an image loaded into kind/minikube could not start.
      assert.equal(c.imagePullPolicy, 'IfNotPresent', `${name}/${c.name}: imagePullPolicy`);
    }
  }
}

function checkProbesPortsAndConfig(objs: K8sObject[]): void {
  for (const d of deployments(objs)) {
    const name = d.metadata.name;
    const c = appContainer(d);
    const pod: Pod = { name: `${name}-5d4f8b7c9-x2x7q`, ip: '10.244.1.17' };
    const cfg = loadContainerConfig(d, objs, pod);
    const port = cfg.kind === 'backend' ? cfg.backend.port : cfg.worker.port;
    assert.ok(c.ports?.some((p) => p.containerPort === port), `${name}: the process listens on ${port}, not a container port`);
    for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
      const get = c[probe]?.httpGet;
      assert.ok(get, `${name}: no ${probe} httpGet`);
      assert.equal(get.path, '/health', `${name}: ${probe} path`);
      assert.equal(resolvePort(c, get.port), port, `${name}: ${probe} port`);
    }
    const annotations = d.spec.template.metadata.annotations ?? {};
    assert.equal(annotations['prometheus.io/scrape'], 'true', `${name}: prometheus.io/scrape`);
    assert.equal(annotations['prometheus.io/path'], '/metrics', `${name}: prometheus.io/path`);
    assert.equal(annotations['prometheus.io/port'], String(port), `${name}: prometheus.io/port`);
    // Every path setting under /app is a mounted volume or something the image has.
    const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath);
    for (const [k, v] of Object.entries(cfg.env)) {
      if (!/_(DIR|PATH)$/.test(k) || !v.startsWith('/app/')) continue;
      const dir = k.endsWith('_PATH') ? posix.dirname(v) : v;
      assert.ok([...mounts, ...IMAGE_PATHS].some((p) => under(dir, p)), `${name}: ${k}=${v} is neither mounted nor in the image`);
    }
    if (cfg.kind === 'backend') {
      const b = cfg.backend;
      assert.equal(b.host, '0.0.0.0', `${name}: the backend must listen on the pod network`);
      assert.equal(b.apiToken, TEST_TOKEN, `${name}: token`);
    } else {
      const w = cfg.worker;
      assert.equal(w.host, '0.0.0.0', `${name}: WORKER_HOST`);
      assert.equal(w.apiToken, TEST_TOKEN, `${name}: token`);
      assert.equal(w.workerId, pod.name, `${name}: WORKER_ID must be the pod name`);
      assert.equal(w.endpointUrl, `http://${pod.ip}:${port}`, `${name}: WORKER_ENDPOINT_URL must be the pod IP and port`);
      assert.equal(w.cores, Math.ceil(quantity(c.resources!.limits!['cpu']!)), `${name}: WORKER_CORES`);
      // The backend URL is a Service of this namespace whose port leads to the backend container.
      const api = new URL(w.apiUrl);
      const svc = find<ServiceObj>(objs, 'Service', api.hostname);
      assert.equal(svc.metadata.namespace, d.metadata.namespace);
      const sp = svc.spec.ports.find((p) => p.port === Number(api.port || 80));
      assert.ok(sp, `${name}: Service ${svc.metadata.name} has no port ${api.port}`);
      const backend = deployments(objs).filter((x) => matches(svc.spec.selector, x.spec.template.metadata.labels));
      assert.equal(backend.length, 1, `Service ${svc.metadata.name} must select exactly the backend`);
      const bc = appContainer(backend[0]!);
      assert.deepEqual(bc.args, ['backend'], `Service ${svc.metadata.name} selects ${backend[0]!.metadata.name}`);
      const bcfg = loadContainerConfig(backend[0]!, objs, { name: 'backend-pod', ip: '10.244.0.5' });
      assert.equal(resolvePort(bc, sp.targetPort ?? sp.port), bcfg.kind === 'backend' ? bcfg.backend.port : -1, `Service targetPort`);
    }
  }
}

function checkShutdownAndDisruptions(objs: K8sObject[]): void {
  const pdbs = byKind<PdbObj>(objs, 'PodDisruptionBudget');
  for (const d of deployments(objs)) {
    const name = d.metadata.name;
    const c = appContainer(d);
    const grace = d.spec.template.spec.terminationGracePeriodSeconds;
    assert.ok(grace !== undefined, `${name}: terminationGracePeriodSeconds`);
    const pause = preStopSeconds(c);
    const cfg = loadContainerConfig(d, objs, { name: `${name}-pod`, ip: '10.244.1.17' });
    const covering = pdbs.filter((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
    if (cfg.kind === 'backend') {
      assert.equal(d.spec.replicas, 1, `${name}: one backend (SQLite)`);
      assert.equal(d.spec.strategy?.type, 'Recreate', `${name}: the old backend must be gone before the new one opens the database`);
      assert.ok(grace > pause + BACKEND_FORCE_EXIT_SECONDS, `${name}: grace ${grace} <= ${pause} + ${BACKEND_FORCE_EXIT_SECONDS}`);
      // The database lives on a persistent volume claim.
      const dbDir = posix.dirname(cfg.env['KTRDR_DB_PATH'] ?? '');
      const mount = (c.volumeMounts ?? []).find((m) => under(dbDir, m.mountPath));
      assert.ok(mount, `${name}: KTRDR_DB_PATH is not on a volume`);
      const vol = d.spec.template.spec.volumes?.find((v) => v.name === mount.name);
      assert.ok(vol?.persistentVolumeClaim, `${name}: the database volume must be a PersistentVolumeClaim`);
      const pvc = find<PvcObj>(objs, 'PersistentVolumeClaim', vol.persistentVolumeClaim.claimName);
      assert.ok(pvc.spec.accessModes.includes('ReadWriteOnce'), `${pvc.metadata.name}: ReadWriteOnce`);
      assert.equal(covering.length, 0, `${name}: a PodDisruptionBudget on a single backend only blocks node drains`);
      continue;
    }
    const drain = cfg.worker.drainMs / 1000;
    const needed = pause + drain + Math.max(FINAL_REPORT_SECONDS, WORKER_FORCE_EXIT_AFTER_DRAIN_SECONDS);
    assert.ok(grace > needed, `${name}: terminationGracePeriodSeconds ${grace} <= preStop ${pause} + drain ${drain} + ${needed - pause - drain}`);
    assert.equal(covering.length, 1, `${name}: exactly one PodDisruptionBudget`);
    const pdb = covering[0]!;
    const replicas = d.spec.replicas ?? 1;
    const allows =
      (typeof pdb.spec.maxUnavailable === 'number' && pdb.spec.maxUnavailable >= 1) ||
      (typeof pdb.spec.minAvailable === 'number' && pdb.spec.minAvailable < replicas);
    assert.ok(allows, `${pdb.metadata.name}: must let at least one pod go at a time`);
    assert.ok(replicas >= 1, `${name}: replicas`);
  }
}

/** The `check-token` init container: same everywhere, reads the token from the Secret. */
function checkTokenGuards(objs: K8sObject[]): string {
  const scripts = new Set<string>();
  for (const d of deployments(objs)) {
    const init = d.spec.template.spec.initContainers?.find((c) => c.name === 'check-token');
    assert.ok(init, `${d.metadata.name}: no check-token init container`);
    const [node, flag, script, ...rest] = init.command ?? [];
    assert.deepEqual([node, flag, rest.length], ['node', '-e', 0], `${d.metadata.name}: check-token command`);
    assert.deepEqual(init.env?.map((e) => e.name), ['KTRDR_API_TOKEN']);
    assert.deepEqual(init.env?.[0]?.valueFrom?.secretKeyRef, appContainer(d).env?.find((e) => e.name === 'KTRDR_API_TOKEN')?.valueFrom?.secretKeyRef);
    scripts.add(script!);
  }
  assert.equal(scripts.size, 1, 'check-token differs between Deployments');
  return [...scripts][0]!;
}

function checkAll(objs: K8sObject[]): void {
  checkSchemas(objs);
  checkNamespaceAndReferences(objs);
  checkEnvNames(objs);
  checkPods(objs);
  checkProbesPortsAndConfig(objs);
  checkShutdownAndDisruptions(objs);
  checkTokenGuards(objs);
}

// ---------------------------------------------------------------------------------------------
// The docs' Kubernetes section
// ---------------------------------------------------------------------------------------------

const docs = readRepoFile('docs/deployment.md');
const k8sSection = (() => {
  const start = docs.indexOf('\n## Kubernetes\n');
  assert.ok(start >= 0, 'docs/deployment.md has no "## Kubernetes" section');
  const end = docs.indexOf('\n## ', start + 5);
  return docs.slice(start, end < 0 ? undefined : end);
})();
const fenced = (lang: string) => [...k8sSection.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const shellLines = fenced('bash').flatMap((b) => b.split('\n')).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const docsOverlay = (() => {
  const blocks = fenced('yaml');
  assert.equal(blocks.length, 1, 'the Kubernetes section shows one kustomization');
  assert.ok(k8sSection.includes(`${DOCS_OVERLAY_DIR}/kustomization.yaml`), 'the docs say where the overlay goes');
  return parseYaml(blocks[0]!) as { resources: string[]; [k: string]: unknown };
})();
/** `-k` paths the docs may use: the repository's kustomizations and the docs' own overlay. */
const KUSTOMIZATIONS = ['deploy/k8s/base', 'deploy/k8s/overlays/gpu', DOCS_OVERLAY_DIR];
function renderDocsPath(path: string): K8sObject[] {
  return path === DOCS_OVERLAY_DIR ? render(DOCS_OVERLAY_DIR, docsOverlay) : render(path);
}

/** Checks one `kubectl ...` command line from the docs against what it would act on. */
function checkKubectl(line: string, base: K8sObject[]): void {
  const argv = line.replace(/\s*&$/, '').split(/\s+/);
  assert.equal(argv.shift(), 'kubectl');
  const namespace = byKind(base, 'Namespace')[0]!.metadata.name;
  const nsAt = argv.indexOf('-n');
  if (nsAt >= 0) {
    assert.equal(argv[nsAt + 1], namespace, `${line}: namespace`);
    argv.splice(nsAt, 2);
  }
  const [verb, ...rest] = argv;
  const target = (ref: string, kind: string) => {
    const [type, name] = ref.split('/');
    assert.equal(type, kind.toLowerCase(), `${line}: ${ref}`);
    return find(base, kind, name!);
  };
  switch (verb) {
    case 'apply':
    case 'delete': {
      assert.equal(rest[0], '-k', `${line}: only -k`);
      assert.equal(rest.length, 2, line);
      assert.ok(KUSTOMIZATIONS.includes(rest[1]!), `${line}: ${rest[1]} is not a kustomization this test renders`);
      if (rest[1] !== DOCS_OVERLAY_DIR) assert.ok(existsSync(join(repoRoot, rest[1]!, 'kustomization.yaml')), line);
      return;
    }
    case 'rollout': {
      assert.ok(nsAt >= 0, `${line}: -n`);
      assert.ok(['status', 'restart'].includes(rest[0]!), line);
      assert.ok(rest.length >= 2, line);
      for (const ref of rest.slice(1)) target(ref, 'Deployment');
      if (rest[0] === 'restart') {
        const all = deployments(base).map((d) => `deployment/${d.metadata.name}`).sort();
        assert.deepEqual(rest.slice(1).sort(), all, `${line}: restart every Deployment (they all read the token)`);
      }
      return;
    }
    case 'kustomize':
      // The tool named in prose, or a rendering of one of ours.
      assert.ok(rest.length === 0 || (rest.length === 1 && KUSTOMIZATIONS.includes(rest[0]!)), line);
      return;
    case 'get':
      assert.ok(nsAt >= 0, `${line}: -n`);
      assert.deepEqual(rest, ['pods'], line);
      return;
    case 'scale': {
      assert.ok(nsAt >= 0, `${line}: -n`);
      const d = target(rest[0]!, 'Deployment') as DeploymentObj;
      assert.notDeepEqual(appContainer(d).args, ['backend'], `${line}: the backend stays at one replica`);
      assert.match(rest[1] ?? '', /^--replicas=\d+$/, line);
      assert.equal(rest.length, 2, line);
      return;
    }
    case 'port-forward': {
      assert.ok(nsAt >= 0, `${line}: -n`);
      const svc = target(rest[0]!, 'Service') as ServiceObj;
      const [, remote] = (rest[1] ?? '').split(':');
      assert.ok(svc.spec.ports.some((p) => p.port === Number(remote)), `${line}: no Service port ${remote}`);
      return;
    }
    default:
      assert.fail(`docs: \`${line}\`: this test does not check 'kubectl ${verb}' (teach checkKubectl, or leave it out)`);
  }
}

// ---------------------------------------------------------------------------------------------

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'ktrdr-k8s-'));
  cpSync(join(repoRoot, 'deploy/k8s'), join(scratch, 'deploy/k8s'), { recursive: true });
  writeFileSync(join(scratch, 'deploy/k8s/base/token.env'), `KTRDR_API_TOKEN=${TEST_TOKEN}\n`);
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('the in-test kustomize renderer', () => {
  it('merges lists by key with patched items first, deletes with null, replaces other lists', () => {
    const target = {
      env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }],
      volumes: [{ name: 'v', emptyDir: {} }],
      tolerations: [{ key: 'x' }],
      resources: { limits: { cpu: '1' } },
    };
    strategicMerge(target, {
      env: [{ name: 'C', value: 'c' }, { name: 'D', value: '4' }],
      volumes: [{ name: 'v', emptyDir: null, persistentVolumeClaim: { claimName: 'p' } }],
      tolerations: [{ key: 'y' }],
      resources: { limits: { 'nvidia.com/gpu': 1 } },
    });
    assert.deepEqual(target, {
      env: [{ name: 'C', value: 'c' }, { name: 'D', value: '4' }, { name: 'A', value: '1' }, { name: 'B', value: '2' }],
      volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'p' } }],
      tolerations: [{ key: 'y' }],
      resources: { limits: { cpu: '1', 'nvidia.com/gpu': 1 } },
    });
    assert.throws(() => strategicMerge({}, { $patch: 'delete' }), KustomizeError);
  });

  it('refuses kustomization features it does not implement, and a missing env file', () => {
    const k = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization' };
    assert.throws(() => render('deploy/k8s/base', { ...k, commonLabels: { a: 'b' } }), /'commonLabels' is not supported/);
    assert.throws(() => render('deploy/k8s/base', { ...k, patches: [{ path: 'x.yaml', target: { kind: 'Deployment' } }] }), /target/);
    assert.throws(
      () => render('deploy/k8s/base', { ...k, secretGenerator: [{ name: 's', envs: ['nope.env'] }], generatorOptions: { disableNameSuffixHash: true } }),
      /nope\.env not found/,
    );
    assert.deepEqual(parseEnvFile('# c\n\nA=1\nB="2"\n', 'x'), [['A', '1'], ['B', '"2"']]);
    // YAML 1.1 like kubectl: an unquoted `on` is a boolean, which an env value cannot be.
    assert.deepEqual(parseYamlStream('v: on\n---\nw: "on"\n', 'x'), [{ v: true }, { w: 'on' }]);
  });
});

describe('deploy/k8s renders', () => {
  it('the base fails without base/token.env, naming it (no silent default token)', () => {
    const bare = mkdtempSync(join(tmpdir(), 'ktrdr-k8s-bare-'));
    try {
      cpSync(join(repoRoot, 'deploy/k8s'), join(bare, 'k8s'), { recursive: true });
      rmSync(join(bare, 'k8s/base/token.env'), { force: true });
      assert.throws(() => renderKustomization(join(bare, 'k8s/base')), /token\.env not found/);
      assert.throws(() => renderKustomization(join(bare, 'k8s/overlays/gpu')), /token\.env not found/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('base: namespace, Secret, Service, PVC, three Deployments, two PodDisruptionBudgets', () => {
    const objs = render('deploy/k8s/base');
    assert.deepEqual(
      sorted(objs).map(key),
      [
        'Deployment/ktrdr/ktrdr-backend',
        'Deployment/ktrdr/ktrdr-backtest-worker',
        'Deployment/ktrdr/ktrdr-training-worker',
        'Namespace//ktrdr',
        'PersistentVolumeClaim/ktrdr/ktrdr-backend-state',
        'PodDisruptionBudget/ktrdr/ktrdr-backtest-worker',
        'PodDisruptionBudget/ktrdr/ktrdr-training-worker',
        'Secret/ktrdr/ktrdr-api-token',
        'Service/ktrdr/ktrdr-backend',
      ],
    );
  });

  it('the same objects as `kubectl kustomize`', { skip: !kubectlAvailable && 'kubectl not installed' }, () => {
    const overlayDir = join(scratch, DOCS_OVERLAY_DIR);
    mkdirSync(overlayDir, { recursive: true });
    writeFileSync(join(overlayDir, 'kustomization.yaml'), JSON.stringify(docsOverlay));
    try {
      for (const rel of KUSTOMIZATIONS) {
        const out = execFileSync('kubectl', ['kustomize', join(scratch, rel)], { encoding: 'utf8', timeout: 60_000 });
        const theirs = parseYamlStream(out, `kubectl kustomize ${rel}`) as unknown as K8sObject[];
        assert.deepEqual(sorted(render(rel)), sorted(theirs), rel);
      }
    } finally {
      rmSync(overlayDir, { recursive: true, force: true });
    }
  });
});

for (const [label, rel, overlay] of [
  ['base', 'deploy/k8s/base', undefined],
  ['gpu overlay', 'deploy/k8s/overlays/gpu', undefined],
  ['docs overlay (base + shared-models + registry)', DOCS_OVERLAY_DIR, 'base'],
  ['docs overlay on the gpu overlay', DOCS_OVERLAY_DIR, 'gpu'],
] as const) {
  describe(`${label}: rules`, () => {
    const objs = () => {
      if (overlay === undefined) return render(rel);
      const k = { ...docsOverlay, resources: [overlay === 'base' ? '../../base' : '../gpu'] };
      return render(rel, k);
    };
    it('every object matches the Kubernetes JSON schema', () => checkSchemas(objs()));
    it('one namespace; volumes, claims and mounts resolve', () => checkNamespaceAndReferences(objs()));
    it('every variable set is one src/config/env-schema.ts declares (or a $(VAR) helper); the token comes from the Secret', () => checkEnvNames(objs()));
    it('pods: selectors, no service links or API token, non-root, ktrdr image', () => checkPods(objs()));
    it('each container loads its config: ports, /health probes, scrape annotations, endpoint from pod name and IP', () =>
      checkProbesPortsAndConfig(objs()));
    it('shutdown: grace covers preStop + drain; backend Recreate on a PVC; worker PodDisruptionBudgets', () =>
      checkShutdownAndDisruptions(objs()));
    it('every pod checks the token first', () => {
      checkTokenGuards(objs());
    });
  });
}

describe('the API token Secret', () => {
  const example = 'deploy/k8s/base/token.env.example';

  it('is generated from token.env with only KTRDR_API_TOKEN, which every Deployment references', () => {
    const objs = render('deploy/k8s/base');
    const secrets = byKind<SecretObj>(objs, 'Secret');
    assert.equal(secrets.length, 1);
    assert.deepEqual(Object.keys(secrets[0]!.data ?? {}), ['KTRDR_API_TOKEN']);
    assert.equal(Buffer.from(secrets[0]!.data!['KTRDR_API_TOKEN']!, 'base64').toString(), TEST_TOKEN);
    for (const d of deployments(objs)) {
      const ref = appContainer(d).env?.find((e) => e.name === 'KTRDR_API_TOKEN')?.valueFrom?.secretKeyRef;
      assert.deepEqual(ref, { name: secrets[0]!.metadata.name, key: 'KTRDR_API_TOKEN' }, d.metadata.name);
    }
  });

  it('the committed example holds only a placeholder, and token.env is git-ignored, never committed', () => {
    const vars = parseEnvFile(readRepoFile(example), example);
    assert.deepEqual(vars.map(([k]) => k), ['KTRDR_API_TOKEN']);
    assert.match(vars[0]![1], /^REPLACE-ME/);
    const git = (args: string[]) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
    if (git(['rev-parse', '--git-dir']).status !== 0) return; // not a git checkout (e.g. an exported tree)
    assert.equal(git(['check-ignore', '-q', 'deploy/k8s/base/token.env']).status, 0, 'deploy/k8s/base/token.env is not git-ignored');
    assert.equal(git(['ls-files', '--error-unmatch', 'deploy/k8s/base/token.env']).status, 1, 'token.env is committed');
    // No manifest carries a literal token.
    for (const f of git(['ls-files', 'deploy/k8s']).stdout.split('\n').filter((x) => /\.ya?ml$/.test(x))) {
      assert.doesNotMatch(readRepoFile(f), /^[^#\n]*KTRDR_API_TOKEN\s*[:=]\s*\S/m, f);
    }
  });

  it('check-token refuses the placeholder, an empty or short token, and lets a real one pass', () => {
    const script = checkTokenGuards(render('deploy/k8s/base'));
    const run = (token: string | undefined) => {
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
      if (token !== undefined) env['KTRDR_API_TOKEN'] = token;
      return spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    };
    const placeholder = parseEnvFile(readRepoFile(example), example)[0]![1];
    for (const bad of [placeholder, '', undefined, '   ', 'short-token']) {
      const r = run(bad);
      assert.equal(r.status, 1, `accepted ${JSON.stringify(bad)}`);
      assert.match(r.stderr, /KTRDR_API_TOKEN .*deploy\/k8s\/base\/token\.env/);
    }
    assert.equal(run(TEST_TOKEN).status, 0);
  });
});

describe('the gpu overlay', () => {
  it('changes only the training worker: one nvidia.com/gpu, GPU nodes, taint toleration, WORKER_GPU=true, GPU image', () => {
    const base = render('deploy/k8s/base');
    const gpu = render('deploy/k8s/overlays/gpu');
    const training = (objs: K8sObject[]) =>
      deployments(objs).find((d) => appContainer(d).args?.join(' ') === 'worker training')!;
    const others = (objs: K8sObject[]) => sorted(objs).filter((o) => o !== training(objs));
    assert.deepEqual(others(gpu), others(base));

    const t = training(gpu);
    const c = appContainer(t);
    assert.ok(quantity(c.resources?.limits?.['nvidia.com/gpu'] ?? 0) >= 1, 'nvidia.com/gpu limit');
    assert.ok(Object.keys(t.spec.template.spec.nodeSelector ?? {}).length > 0, 'nodeSelector');
    assert.ok(t.spec.template.spec.tolerations?.some((x) => x.key === 'nvidia.com/gpu' && x.operator === 'Exists'), 'toleration');
    assert.match(c.image, /^ktrdr-gpu:/);
    const cfg = loadContainerConfig(t, gpu, { name: 'p', ip: '10.0.0.1' });
    assert.equal(cfg.kind === 'worker' && cfg.worker.gpu, true);

    const cpu = loadContainerConfig(training(base), base, { name: 'p', ip: '10.0.0.1' });
    assert.equal(cpu.kind === 'worker' && cpu.worker.gpu, false, 'the base trains on the CPU');
    assert.doesNotMatch(JSON.stringify(base), /nvidia\.com\/gpu"/);
  });
});

describe('the shared-models component', () => {
  it('puts /app/models of every pod on one ReadWriteMany claim', () => {
    const objs = render(DOCS_OVERLAY_DIR, docsOverlay);
    const claims = new Set<string>();
    for (const d of deployments(objs)) {
      const c = appContainer(d);
      const dir = c.env?.find((e) => e.name === 'KTRDR_MODELS_DIR')?.value;
      const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
      assert.ok(mount, `${d.metadata.name}: KTRDR_MODELS_DIR not mounted`);
      const claim = d.spec.template.spec.volumes?.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
      assert.ok(claim, `${d.metadata.name}: models not on a claim`);
      claims.add(claim);
    }
    assert.equal(claims.size, 1);
    assert.deepEqual(find<PvcObj>(objs, 'PersistentVolumeClaim', [...claims][0]!).spec.accessModes, ['ReadWriteMany']);
  });
});

describe('docs/deployment.md, Kubernetes', () => {
  it('every kubectl command acts on objects and kustomizations that exist', () => {
    const base = render('deploy/k8s/base');
    const kubectl = [...shellLines, ...[...k8sSection.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!)].filter((l) => l.startsWith('kubectl '));
    assert.ok(kubectl.length >= 8, `only ${kubectl.length} kubectl commands found`);
    for (const line of kubectl) checkKubectl(line, base);
    for (const path of KUSTOMIZATIONS) assert.ok(renderDocsPath(path).length > 0);
  });

  it('every shell line is one this test checks; the token lines work and their token passes check-token', () => {
    const base = render('deploy/k8s/base');
    const image = appContainer(deployments(base)[0]!).image;
    const work = mkdtempSync(join(tmpdir(), 'ktrdr-k8s-docs-'));
    try {
      cpSync(join(repoRoot, 'deploy/k8s'), join(work, 'deploy/k8s'), { recursive: true });
      rmSync(join(work, 'deploy/k8s/base/token.env'), { force: true });
      const sh = (line: string) => execFileSync('/bin/sh', ['-c', line], { cwd: work, encoding: 'utf8', timeout: 10_000 });
      let token = '';
      for (const line of shellLines) {
        if (line.startsWith('kubectl ')) continue; // checked above
        if (line.startsWith('printf ') && line.endsWith('> deploy/k8s/base/token.env')) {
          sh(line);
          const vars = parseEnvFile(readFileSync(join(work, 'deploy/k8s/base/token.env'), 'utf8'), 'token.env');
          assert.deepEqual(vars.map(([k]) => k), ['KTRDR_API_TOKEN']);
          token = vars[0]![1];
          assert.match(token, /^[0-9a-f]{64}$/);
          const script = checkTokenGuards(renderKustomization(join(work, 'deploy/k8s/base')));
          const r = spawnSync(process.execPath, ['-e', script], { env: { KTRDR_API_TOKEN: token }, encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
        } else if (line.startsWith('export KTRDR_API_TOKEN=')) {
          assert.ok(token, `${line}: runs before the token file exists`);
          assert.equal(sh(`${line}; printf %s "$KTRDR_API_TOKEN"`), token, line);
        } else if (line.startsWith('curl ')) {
          assert.match(line, /-H "Authorization: Bearer \$KTRDR_API_TOKEN" http:\/\/localhost:8000\/api\/v1\/workers \| jq /, line);
        } else {
          assert.fail(`docs: \`${line}\` is not checked by this test`);
        }
      }
      assert.ok(token, 'the docs create base/token.env');
      // Inline commands: loading the image the manifests use, and a curl with the token.
      for (const [, cmd] of k8sSection.matchAll(/`((?:kind|minikube|curl) [^`]+)`/g)) {
        if (cmd!.startsWith('curl ')) assert.match(cmd!, /-H "Authorization: Bearer \$KTRDR_API_TOKEN" http:\/\/localhost:8000\/api\/v1\/workers/);
        else assert.ok(cmd === `kind load docker-image ${image}` || cmd === `minikube image load ${image}`, cmd);
      }
      // The worker listing the curl lines read is a backend route.
      assert.match(readRepoFile('src/http/routes/workers.ts'), /app\.get\(\s*'\/workers',/);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('names the files, objects and numbers the manifests have', () => {
    const base = render('deploy/k8s/base');
    for (const m of k8sSection.matchAll(/`(deploy\/k8s\/[^`\s]*)`/g)) {
      const p = m[1]!;
      // token.env is the operator's; the docs' overlay is rendered from the docs themselves.
      const own = p === 'deploy/k8s/base/token.env' || p.startsWith(`${DOCS_OVERLAY_DIR}/`) || p === DOCS_OVERLAY_DIR;
      assert.ok(existsSync(join(repoRoot, p)) || own, `docs: ${p} does not exist`);
    }
    for (const m of k8sSection.matchAll(/`(ktrdr-[a-z-]+)`/g)) {
      if (m[1] === 'ktrdr-gpu') continue; // the image name
      assert.ok(base.some((o) => o.metadata.name === m[1]), `docs: no object named ${m[1]}`);
    }
    const grace = Object.fromEntries(deployments(base).map((d) => [d.metadata.name, d.spec.template.spec.terminationGracePeriodSeconds]));
    const drain = Object.fromEntries(
      deployments(base).map((d) => [d.metadata.name, appContainer(d).env?.find((e) => e.name === 'WORKER_DRAIN_SECONDS')?.value]),
    );
    assert.match(k8sSection, new RegExp(`${drain['ktrdr-backtest-worker']} s for\\s+backtests and ${drain['ktrdr-training-worker']} s for training`));
    assert.match(k8sSection, new RegExp(`\\(${grace['ktrdr-backtest-worker']} s and ${grace['ktrdr-training-worker']} s\\)`));
    assert.match(k8sSection, new RegExp(`a 5 s preStop pause`));
    for (const d of deployments(base)) assert.equal(preStopSeconds(appContainer(d)), 5);
    assert.match(k8sSection, new RegExp(`the ${WORKER_FORCE_EXIT_AFTER_DRAIN_SECONDS} s the\\s+worker allows itself`));
  });
});

describe('the base as processes', () => {
  /**
   * Each pod's container as a local process with the environment the kubelet would give it, mapped
   * onto this machine the way the cluster network would carry it: the Service name and the pod
   * address become 127.0.0.1, container ports become free local ports, and /app paths become the
   * checkout's (what the image copies) or, for volumes, temporary directories.
   */
  let dir: ReturnType<typeof tempDir>;
  const procs: Proc[] = [];
  before(() => {
    dir = tempDir('ktrdr-k8s-pods-');
  });
  after(async () => {
    for (const p of procs) await p.stop();
    dir.remove();
  });

  function localEnv(d: DeploymentObj, objs: K8sObject[], pod: Pod, ports: Map<number, number>): Record<string, string> {
    const c = appContainer(d);
    const env = resolveEnv(c, pod, objs, d.metadata.namespace);
    const mounts = (c.volumeMounts ?? []).map((m) => m.mountPath);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) {
      let value = v;
      const mount = mounts.find((m) => under(v, m));
      if (mount !== undefined) value = join(dir.path, pod.name, v.slice(1));
      else if (v.startsWith('/app/')) value = join(repoRoot, v.slice('/app/'.length));
      for (const [from, to] of ports) {
        value = value.replace(new RegExp(`^${from}$`), String(to)).replace(new RegExp(`:${from}\\b`), `:${to}`);
      }
      out[k] = value.replace('//ktrdr-backend:', '//127.0.0.1:');
    }
    // Tests listen on loopback only; in the pod this is 0.0.0.0 (checked above).
    if (out['KTRDR_API_HOST'] !== undefined) out['KTRDR_API_HOST'] = '127.0.0.1';
    if (out['WORKER_HOST'] !== undefined) out['WORKER_HOST'] = '127.0.0.1';
    return out;
  }

  it('a backtesting worker registers as its pod name at its pod address, runs a backtest; /health needs no token', async () => {
    const objs = render('deploy/k8s/base');
    const backendD = find<DeploymentObj>(objs, 'Deployment', 'ktrdr-backend');
    const workerD = find<DeploymentObj>(objs, 'Deployment', 'ktrdr-backtest-worker');
    const bport = await freePort();
    const wport = await freePort();
    const ports = new Map([
      [appContainer(backendD).ports![0]!.containerPort, bport],
      [appContainer(workerD).ports![0]!.containerPort, wport],
    ]);
    const backendPod = 'ktrdr-backend-7c9d5b6f4-abcde';
    // The pod's store is the manifest's (SQLite on the state volume), not the test run's KTRDR_DATABASE_URL.
    const backendEnv = { KTRDR_DATABASE_URL: '', ...localEnv(backendD, objs, { name: backendPod, ip: '127.0.0.1' }, ports) };
    const backend = spawnNode('backend', [CLI, ...(appContainer(backendD).args ?? [])], backendEnv, bport);
    procs.push(backend);
    await waitFor('backend /health', async () => (await fetch(`${backend.url}/health`)).ok || undefined, { timeoutMs: 20_000, proc: backend });

    const podName = 'ktrdr-backtest-worker-5d4f8b7c9-x2x7q';
    const workerEnv = localEnv(workerD, objs, { name: podName, ip: '127.0.0.1' }, ports);
    assert.equal(workerEnv['KTRDR_API_URL'], backend.url);
    const worker = spawnNode(podName, [CLI, ...(appContainer(workerD).args ?? [])], workerEnv, wport);
    procs.push(worker);

    // The probes send no token.
    await waitFor('worker /health', async () => (await fetch(`${worker.url}/health`)).ok || undefined, { timeoutMs: 20_000, proc: worker });
    assert.equal((await api(backend.url, '/api/v1/workers')).status, 401, 'the token from the Secret is enforced');
    const [registered] = await waitForWorkers(backend.url, 1, { token: TEST_TOKEN, timeoutMs: 20_000 });
    assert.equal(registered.worker_id, podName);
    assert.equal(registered.endpoint_url, `http://127.0.0.1:${wport}`);
    assert.equal(registered.capabilities.cores, Math.ceil(quantity(appContainer(workerD).resources!.limits!['cpu']!)));

    // The image's data and strategies are enough for a backtest without a model.
    const start = await api(backend.url, '/api/v1/backtests/start', {
      method: 'POST',
      token: TEST_TOKEN,
      body: { strategy_name: 'rsi_reversion_rules', start_date: '2024-01-01', end_date: '2024-03-01' },
    });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    const op = await waitForStatus(backend.url, start.body.operation_id as string, ['completed', 'failed', 'cancelled'], 60_000, TEST_TOKEN);
    assert.equal(op.status, 'completed', op.error_message);
    assert.equal(op.worker_id, podName);
    assert.ok(existsSync(join(dir.path, backendPod, 'app/state/ktrdr.db')), 'the database is on the state volume');

    // SIGTERM (after preStop) drains an idle worker and exits 0.
    assert.equal(await worker.stop(), 0, worker.output().slice(-2000));
  });
});
