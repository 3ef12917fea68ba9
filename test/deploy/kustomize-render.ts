/**
 * A small kustomize, enough to render deploy/k8s offline without kubectl: namespace, resources
 * (files and directories), components, secretGenerator (envs and literals, with
 * disableNameSuffixHash), patches (strategic merge, by path or inline), and images. Anything
 * else in a kustomization is an error, so the manifests cannot silently use a feature this
 * renderer would get wrong. Where kubectl is installed, k8s-manifests.test.ts compares its output
 * with `kubectl kustomize`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export class KustomizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeError';
  }
}

/** Kinds that have no namespace (the ones these manifests could plausibly contain). */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'PriorityClass']);

/** Lists that strategic merge patches merge by a key (as in the Kubernetes API); all other lists are replaced. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

const KUSTOMIZATION_KEYS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'components',
  'patches',
  'images',
  'secretGenerator',
  'generatorOptions',
]);

/** Parses YAML the way kubectl does (YAML 1.1: `yes`/`on` are booleans), every document of a stream. */
export function parseYamlStream(text: string, where: string): Json[] {
  const docs = parseAllDocuments(text, { version: '1.1' });
  const out: Json[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new KustomizeError(`${where}: ${doc.errors[0]!.message}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as Json;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

function asObject(v: Json, where: string): K8sObject {
  if (!isObject(v) || typeof v['apiVersion'] !== 'string' || typeof v['kind'] !== 'string') {
    throw new KustomizeError(`${where}: not a Kubernetes object (apiVersion and kind required)`);
  }
  const meta = v['metadata'];
  if (!isObject(meta) || typeof meta['name'] !== 'string' || meta['name'] === '') throw new KustomizeError(`${where}: metadata.name required`);
  return v as unknown as K8sObject;
}

/**
 * Applies a strategic merge patch in place: maps merge, `null` deletes, lists in MERGE_KEYS merge
 * by their key (patched items first, in patch order, then the untouched ones, as kustomize does),
 * other lists are replaced. Patch directives (`$patch`, `$retainKeys`...) are not supported.
 */
export function strategicMerge(target: JsonObject, patch: JsonObject, path = ''): void {
  for (const [key, value] of Object.entries(patch)) {
    const at = `${path}/${key}`;
    if (key.startsWith('$')) throw new KustomizeError(`patch directive ${at} is not supported by this renderer`);
    const current = target[key];
    if (value === null) {
      delete target[key];
    } else if (Array.isArray(value)) {
      const mergeKey = MERGE_KEYS[key];
      if (mergeKey === undefined || !Array.isArray(current)) {
        target[key] = clone(value);
        continue;
      }
      const patched: Json[] = [];
      const used = new Set<number>();
      for (const item of value) {
        if (!isObject(item) || item[mergeKey] === undefined) throw new KustomizeError(`${at}: items need '${mergeKey}'`);
        const i = current.findIndex((c) => isObject(c) && c[mergeKey] === item[mergeKey]);
        if (i < 0) {
          patched.push(clone(item));
        } else {
          const merged = clone(current[i]!) as JsonObject;
          strategicMerge(merged, item, `${at}[${String(item[mergeKey])}]`);
          patched.push(merged);
          used.add(i);
        }
      }
      target[key] = [...patched, ...current.filter((_c, i) => !used.has(i))];
    } else if (isObject(value) && isObject(current)) {
      strategicMerge(current, value, at);
    } else {
      target[key] = clone(value);
    }
  }
}

/** `KEY=VALUE` lines as kustomize reads an env file: comments and blank lines skipped, quotes kept. */
export function parseEnvFile(text: string, where: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i <= 0) throw new KustomizeError(`${where}: invalid line '${line}' (expected KEY=VALUE)`);
    out.push([line.slice(0, i).trim(), line.slice(i + 1)]);
  }
  return out;
}

function podSpecs(obj: K8sObject): JsonObject[] {
  const spec = obj['spec'];
  if (!isObject(spec)) return [];
  if (obj.kind === 'Pod') return [spec];
  const template = spec['template'];
  return isObject(template) && isObject(template['spec']) ? [template['spec']] : [];
}

function imageName(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at >= 0 ? image.slice(0, at) : image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  components?: string[];
  patches?: { path?: string; patch?: string; target?: unknown; options?: unknown }[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  secretGenerator?: { name: string; envs?: string[]; literals?: string[]; type?: string; behavior?: string; files?: unknown; namespace?: string }[];
  generatorOptions?: { disableNameSuffixHash?: boolean; labels?: unknown; annotations?: unknown };
}

function loadKustomization(dir: string, override?: unknown): Kustomization {
  const file = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].map((f) => join(dir, f)).find((f) => existsSync(f));
  let doc: unknown = override;
  if (doc === undefined) {
    if (file === undefined) throw new KustomizeError(`${dir}: no kustomization.yaml`);
    const docs = parseYamlStream(readFileSync(file, 'utf8'), file);
    if (docs.length !== 1) throw new KustomizeError(`${file}: expected one document`);
    doc = docs[0];
  }
  if (!isObject(doc)) throw new KustomizeError(`${dir}: kustomization is not a mapping`);
  for (const key of Object.keys(doc)) {
    if (!KUSTOMIZATION_KEYS.has(key)) throw new KustomizeError(`${dir}: '${key}' is not supported by this renderer`);
  }
  return doc as Kustomization;
}

function add(into: K8sObject[], obj: K8sObject, where: string): void {
  const clash = into.find((o) => o.kind === obj.kind && o.metadata.name === obj.metadata.name && o.metadata.namespace === obj.metadata.namespace);
  if (clash) throw new KustomizeError(`${where}: ${obj.kind}/${obj.metadata.name} is defined twice`);
  into.push(obj);
}

function generateSecrets(k: Kustomization, dir: string, into: K8sObject[]): void {
  if (!k.secretGenerator) return;
  if (k.generatorOptions?.disableNameSuffixHash !== true) {
    throw new KustomizeError(`${dir}: secretGenerator needs generatorOptions.disableNameSuffixHash: true (name hashes are not implemented)`);
  }
  for (const g of k.secretGenerator) {
    for (const unsupported of ['behavior', 'files', 'namespace'] as const) {
      if (g[unsupported] !== undefined) throw new KustomizeError(`${dir}: secretGenerator ${g.name}: '${unsupported}' is not supported`);
    }
    const data: Record<string, string> = {};
    const put = (key: string, value: string) => {
      if (key in data) throw new KustomizeError(`${dir}: secretGenerator ${g.name}: key ${key} given twice`);
      data[key] = Buffer.from(value, 'utf8').toString('base64');
    };
    for (const envs of g.envs ?? []) {
      const file = resolve(dir, envs);
      if (!existsSync(file)) throw new KustomizeError(`${dir}: secretGenerator ${g.name}: env file ${file} not found`);
      for (const [key, value] of parseEnvFile(readFileSync(file, 'utf8'), file)) put(key, value);
    }
    for (const literal of g.literals ?? []) {
      const i = literal.indexOf('=');
      if (i <= 0) throw new KustomizeError(`${dir}: secretGenerator ${g.name}: bad literal '${literal}'`);
      put(literal.slice(0, i), literal.slice(i + 1));
    }
    add(into, { apiVersion: 'v1', kind: 'Secret', metadata: { name: g.name }, type: g.type ?? 'Opaque', data }, dir);
  }
}

function applyPatches(k: Kustomization, dir: string, objects: K8sObject[]): void {
  for (const p of k.patches ?? []) {
    if (p.target !== undefined || p.options !== undefined) throw new KustomizeError(`${dir}: patch target/options are not supported`);
    const where = p.path !== undefined ? resolve(dir, p.path) : `${dir} (inline patch)`;
    const text = p.path !== undefined ? readFileSync(where, 'utf8') : p.patch;
    if (text === undefined) throw new KustomizeError(`${dir}: a patch needs path or patch`);
    for (const doc of parseYamlStream(text, where)) {
      if (Array.isArray(doc)) throw new KustomizeError(`${where}: JSON6902 patches are not supported`);
      const patch = asObject(doc, where);
      const matches = objects.filter(
        (o) =>
          o.kind === patch.kind &&
          o.apiVersion === patch.apiVersion &&
          o.metadata.name === patch.metadata.name &&
          (patch.metadata.namespace === undefined || o.metadata.namespace === patch.metadata.namespace),
      );
      if (matches.length !== 1) {
        throw new KustomizeError(`${where}: patch for ${patch.kind}/${patch.metadata.name} matches ${matches.length} objects`);
      }
      strategicMerge(matches[0] as unknown as JsonObject, doc as JsonObject);
    }
  }
}

function applyImages(k: Kustomization, objects: K8sObject[]): void {
  for (const img of k.images ?? []) {
    for (const obj of objects) {
      for (const spec of podSpecs(obj)) {
        for (const list of [spec['initContainers'], spec['containers']]) {
          if (!Array.isArray(list)) continue;
          for (const c of list) {
            if (!isObject(c) || typeof c['image'] !== 'string' || imageName(c['image']) !== img.name) continue;
            const old = c['image'];
            const tag = img.digest ? `@${img.digest}` : img.newTag ? `:${img.newTag}` : old.slice(imageName(old).length);
            c['image'] = `${img.newName ?? img.name}${tag}`;
          }
        }
      }
    }
  }
}

function build(dir: string, kind: 'Kustomization' | 'Component', override?: unknown): K8sObject[] {
  const k = loadKustomization(dir, override);
  const expectedApi = kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
  if (k.kind !== kind || k.apiVersion !== expectedApi) throw new KustomizeError(`${dir}: expected ${expectedApi} ${kind}`);
  const objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    if (/^[a-z]+:\/\//i.test(r)) throw new KustomizeError(`${dir}: remote resource ${r} not supported`);
    const path = resolve(dir, r);
    if (!existsSync(path)) throw new KustomizeError(`${dir}: resource ${r} not found`);
    if (statSync(path).isDirectory()) {
      for (const o of build(path, 'Kustomization')) add(objects, o, path);
    } else {
      for (const doc of parseYamlStream(readFileSync(path, 'utf8'), path)) add(objects, asObject(doc, path), path);
    }
  }
  applyComponents(k, dir, objects);
  generateSecrets(k, dir, objects);
  applyPatches(k, dir, objects);
  applyImages(k, objects);
  if (k.namespace !== undefined) {
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  }
  return objects;
}

/** A component works on the resources accumulated so far, as kustomize applies it. */
function applyComponents(k: Kustomization, dir: string, objects: K8sObject[]): void {
  for (const c of k.components ?? []) {
    const cdir = resolve(dir, c);
    const ck = loadKustomization(cdir);
    if (ck.kind !== 'Component' || ck.apiVersion !== 'kustomize.config.k8s.io/v1alpha1') {
      throw new KustomizeError(`${cdir}: expected kustomize.config.k8s.io/v1alpha1 Component`);
    }
    if (ck.namespace !== undefined) throw new KustomizeError(`${cdir}: namespace in a component is not supported`);
    for (const r of ck.resources ?? []) {
      const path = resolve(cdir, r);
      if (!existsSync(path) || statSync(path).isDirectory()) throw new KustomizeError(`${cdir}: resource ${r} must be a file`);
      for (const doc of parseYamlStream(readFileSync(path, 'utf8'), path)) add(objects, asObject(doc, path), path);
    }
    applyComponents(ck, cdir, objects);
    generateSecrets(ck, cdir, objects);
    applyPatches(ck, cdir, objects);
    applyImages(ck, objects);
  }
}

/**
 * Renders the kustomization in `dir`, like `kubectl kustomize dir`. `kustomization` replaces the
 * file's content (for kustomizations shown in the docs, rendered as if they were saved in `dir`).
 */
export function renderKustomization(dir: string, kustomization?: unknown): K8sObject[] {
  return build(resolve(dir), 'Kustomization', kustomization);
}
