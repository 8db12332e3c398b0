/**
 * deploy/kubernetes, checked without a cluster: the manifests parse (YAML 1.1, as kubectl reads them), and they fit
 * together: selectors and labels, the Secrets and keys they read, the files their *_FILE variables name, the KEDA
 * target and the Redis list it watches, the settings the apps would load, and what a scanner must never get.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAll, YAML11_SCHEMA } from 'js-yaml';
import { ConfigError, FILE_SECRETS, loadConfig } from '@tftsr/config';
import { ApiConfig } from '@tftsr/api/config/api.config';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { unknownTftsrVariables } from './support/config-variables';

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'deploy', 'kubernetes');

interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
  persistentVolumeClaim?: object;
  hostPath?: object;
}
interface PodTemplate {
  metadata: { labels?: Record<string, string> };
  spec: {
    containers: Container[];
    volumes?: Volume[];
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
    terminationGracePeriodSeconds?: number;
    enableServiceLinks?: boolean;
    automountServiceAccountToken?: boolean;
  };
}
interface Workload {
  kind: 'StatefulSet' | 'Deployment';
  metadata: Metadata;
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: PodTemplate;
    volumeClaimTemplates?: { metadata: { name: string }; spec: { accessModes: string[] } }[];
  };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  // The fields of each kind, read through the interfaces above where needed.
  [field: string]: unknown;
}
interface Service extends Manifest {
  spec: { clusterIP?: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] };
}
interface Secret extends Manifest {
  stringData?: Record<string, string>;
  data?: Record<string, string>;
}
interface ConfigMap extends Manifest {
  data: Record<string, string>;
}
interface ScaledObject extends Manifest {
  spec: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[];
  };
}
interface TriggerAuthentication extends Manifest {
  spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
}

/** The kinds the manifests may use, by apiVersion: the stable APIs and KEDA's (keda.sh/v1alpha1). */
const KINDS: Record<string, string[]> = {
  v1: ['ConfigMap', 'Secret', 'Service'],
  'apps/v1': ['Deployment', 'StatefulSet'],
  'keda.sh/v1alpha1': ['ScaledObject', 'TriggerAuthentication'],
};

/** The image's user (Dockerfile `USER node`): uid 1000 in the node images. */
const IMAGE_UID = 1000;

interface Deployed {
  manifests: Manifest[];
  secrets: Secret[];
}

function parse(file: string): Manifest[] {
  const docs = loadAll(readFileSync(file, 'utf8'), { schema: YAML11_SCHEMA }) as (Manifest | null)[];
  return docs.filter((doc): doc is Manifest => doc !== null).map((doc) => ({ ...doc, file: path.relative(root, file) }));
}

/** Every manifest `kubectl apply -f deploy/kubernetes/` reads, and the example Secrets (which it does not). */
function readDeployed(): Deployed {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  return {
    manifests: files.flatMap((f) => parse(path.join(dir, f))),
    secrets: parse(path.join(dir, 'example', 'secrets.yaml')) as Secret[],
  };
}

const ofKind = <T extends Manifest>(manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind) as T[];
const workloads = (d: Deployed) => d.manifests.filter((m) => m.kind === 'StatefulSet' || m.kind === 'Deployment') as unknown as Workload[];
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
const envValue = (c: Container | undefined, name: string) => c?.env?.find((e) => e.name === name)?.value;
const role = (w: Workload) => envValue(w.spec.template.spec.containers[0], 'TFTSR_WORKER_ROLE');

/** The scanners' Deployment and the database host's StatefulSet. */
function scannerOf(d: Deployed): Workload | undefined {
  return workloads(d).find((w) => w.kind === 'Deployment' && role(w) === 'scanner');
}
function dbHostOf(d: Deployed): Workload | undefined {
  return workloads(d).find((w) => w.kind === 'StatefulSet');
}

function configMapData(d: Deployed, name: string): Record<string, string> | undefined {
  return ofKind<ConfigMap>(d.manifests, 'ConfigMap').find((c) => c.metadata.name === name)?.data;
}

function secretKeys(d: Deployed, name: string): string[] | undefined {
  const secret = d.secrets.find((s) => s.metadata.name === name);
  return secret ? Object.keys({ ...secret.data, ...secret.stringData }) : undefined;
}

/**
 * The environment a container's process sees, for loading the apps' config: the ConfigMaps, its literal values,
 * and each secret as a stand-in value (a NAME_FILE becomes NAME: the files exist only in the pod).
 */
function processEnv(d: Deployed, c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, from.configMapRef ? configMapData(d, from.configMapRef.name) : {});
  const fileSecrets = new Set<string>([...FILE_SECRETS, 'TFTSR_DB_KEY']);
  for (const e of c.env ?? []) {
    const base = e.name.replace(/_FILE$/, '');
    if (e.name.endsWith('_FILE') && fileSecrets.has(base)) env[base] = 'stand-in-secret-value-of-forty-characters';
    else env[e.name] = e.value ?? 'stand-in-value-from-a-secret';
  }
  return env;
}

/** The secret file a path names: the Secret and key behind the mount it falls in, or why there is none. */
function secretFileAt(d: Deployed, w: Workload, c: Container, file: string): { secret: string; key: string } | string {
  const mount = c.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
  if (!mount) return `${file} is in no mount`;
  const volume = w.spec.template.spec.volumes?.find((v) => v.name === mount.name);
  if (!volume?.secret) return `${file} is not in a Secret volume`;
  const rest = file.slice(mount.mountPath.length + 1);
  const key = volume.secret.items ? volume.secret.items.find((i) => i.path === rest)?.key : rest;
  if (!key) return `${file}: the volume ${volume.name} has no item ${rest}`;
  if (!secretKeys(d, volume.secret.secretName)?.includes(key)) return `${file}: Secret ${volume.secret.secretName} has no key ${key}`;
  return { secret: volume.secret.secretName, key };
}

/** Each document on its own: a known kind, a valid name, no namespace. */
function documentProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const m of [...d.manifests, ...d.secrets]) {
    const id = `${m.kind}/${m.metadata?.name}`;
    if (!KINDS[m.apiVersion]?.includes(m.kind)) problems.push(`${id}: ${m.apiVersion} ${m.kind} is not a kind these manifests use`);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(m.metadata?.name ?? '')) problems.push(`${id}: not a DNS-1123 name`);
    if (m.metadata?.namespace !== undefined) problems.push(`${id}: names a namespace`);
    if (seen.has(id)) problems.push(`${id}: defined twice`);
    seen.add(id);
  }
  return problems;
}

/** The pods: selectors, volumes, Secrets, ConfigMaps, probes, the hardening and the shutdown grace. */
function workloadProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const all = workloads(d);
  for (const w of all) {
    const id = `${w.kind}/${w.metadata.name}`;
    const pod = w.spec.template.spec;
    if (!matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels))
      problems.push(`${id}: the selector does not match its pods`);
    for (const other of all.filter((o) => o !== w)) {
      if (matches(w.spec.selector.matchLabels, other.spec.template.metadata.labels))
        problems.push(`${id}: the selector also matches the pods of ${other.metadata.name}`);
    }
    const volumeNames = new Set([
      ...(pod.volumes ?? []).map((v) => v.name),
      ...(w.spec.volumeClaimTemplates ?? []).map((t) => t.metadata.name),
    ]);
    for (const v of pod.volumes ?? []) {
      if (!v.secret) continue;
      const keys = secretKeys(d, v.secret.secretName);
      if (!keys) problems.push(`${id}: volume ${v.name} reads Secret ${v.secret.secretName}, which is not in example/secrets.yaml`);
      for (const item of v.secret.items ?? []) {
        if (keys && !keys.includes(item.key))
          problems.push(`${id}: volume ${v.name} reads ${v.secret.secretName}/${item.key}, not a key of it`);
      }
    }
    if (pod.securityContext?.runAsNonRoot !== true || pod.securityContext.runAsUser !== IMAGE_UID)
      problems.push(`${id}: does not run as the image's user ${IMAGE_UID}`);
    if (pod.enableServiceLinks !== false) problems.push(`${id}: service links put variables in the environment`);
    if (pod.automountServiceAccountToken !== false) problems.push(`${id}: mounts a service account token`);

    for (const c of pod.containers) {
      const cid = `${id}/${c.name}`;
      for (const m of c.volumeMounts ?? []) if (!volumeNames.has(m.name)) problems.push(`${cid}: mounts ${m.name}, which is no volume`);
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMapData(d, from.configMapRef.name)) problems.push(`${cid}: no ConfigMap ${from.configMapRef.name}`);
        if (from.secretRef) problems.push(`${cid}: takes a whole Secret into its environment (secrets come as files)`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !secretKeys(d, ref.name)?.includes(ref.key))
          problems.push(`${cid}: ${e.name} reads ${ref.name}/${ref.key}, which does not exist`);
        if (e.name.endsWith('_FILE')) {
          const found = secretFileAt(d, w, c, e.value ?? '');
          if (typeof found === 'string') problems.push(`${cid}: ${e.name}: ${found}`);
        }
      }
      const portNames = new Set((c.ports ?? []).map((p) => p.name));
      for (const probe of [c.readinessProbe, c.livenessProbe]) {
        if (probe?.httpGet && !portNames.has(String(probe.httpGet.port)))
          problems.push(`${cid}: a probe uses port ${probe.httpGet.port}, not one of its ports`);
      }
      if (!c.readinessProbe) problems.push(`${cid}: no readiness probe`);
      const sc = c.securityContext;
      if (sc?.readOnlyRootFilesystem !== true || sc.allowPrivilegeEscalation !== false || !sc.capabilities?.drop?.includes('ALL'))
        problems.push(`${cid}: not read-only, or may gain privileges or capabilities`);
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      if (!pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir) problems.push(`${cid}: no emptyDir at /tmp for its read-only root`);
      const graceMs = Number(processEnv(d, c).TFTSR_SHUTDOWN_GRACE_MS ?? 25000);
      if (pod.terminationGracePeriodSeconds !== graceMs / 1000 + 5)
        problems.push(`${cid}: terminationGracePeriodSeconds is ${pod.terminationGracePeriodSeconds}, not the shutdown grace plus 5 s`);
      if (c.image !== all[0].spec.template.spec.containers[0].image) problems.push(`${cid}: another image than the others`);
    }
  }
  return problems;
}

/** The Services: each selects the database host's pod, on ports its containers declare; the StatefulSet's is headless. */
function serviceProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const services = ofKind<Service>(d.manifests, 'Service');
  for (const s of services) {
    const selected = workloads(d).filter((w) => matches(s.spec.selector, w.spec.template.metadata.labels));
    if (selected.length !== 1 || selected[0] !== dbHostOf(d))
      problems.push(`Service/${s.metadata.name}: selects ${selected.map((w) => w.metadata.name).join(', ') || 'no pod'}`);
    const ports = new Set(selected.flatMap((w) => w.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name))));
    for (const p of s.spec.ports) {
      if (!ports.has(String(p.targetPort)))
        problems.push(`Service/${s.metadata.name}: port ${p.name} targets ${p.targetPort}, which no pod names`);
    }
  }
  const governing = services.find((s) => s.metadata.name === dbHostOf(d)?.spec.serviceName);
  if (governing?.spec.clusterIP !== 'None')
    problems.push(`StatefulSet: serviceName ${dbHostOf(d)?.spec.serviceName} is not a headless Service`);
  return problems;
}

/** The database host: one replica, one ReadWriteOnce volume that both containers mount, the API ready on /health/ready. */
function dbHostProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const host = dbHostOf(d);
  if (!host) return ['no StatefulSet'];
  if (host.spec.replicas !== 1) problems.push(`the StatefulSet has ${host.spec.replicas} replicas, not 1`);
  const claims = host.spec.volumeClaimTemplates ?? [];
  if (claims.length !== 1 || claims[0].spec.accessModes.join() !== 'ReadWriteOnce')
    problems.push('the StatefulSet has not one ReadWriteOnce volume');
  const containers = host.spec.template.spec.containers;
  if (containers.map((c) => c.name).join() !== 'api,writer')
    problems.push(`the StatefulSet runs ${containers.map((c) => c.name).join(', ')}`);
  for (const c of containers) {
    if (!c.volumeMounts?.some((m) => m.name === claims[0]?.metadata.name && m.mountPath === '/data'))
      problems.push(`${c.name} does not mount the volume at /data`);
    if (envValue(c, 'TFTSR_DATA_DIR') !== '/data') problems.push(`${c.name}: TFTSR_DATA_DIR is not /data`);
    if (typeof secretFileAt(d, host, c, envValue(c, 'TFTSR_DB_KEY_FILE') ?? '') === 'string')
      problems.push(`${c.name} has no database key file`);
  }
  const [api, writer] = containers;
  if (api?.command?.join(' ') !== 'node dist/apps/api/src/main.js') problems.push('api does not run the API');
  if (api?.readinessProbe?.httpGet?.path !== '/health/ready') problems.push('api is not ready on /health/ready');
  const exposed = Number(/^EXPOSE (\d+)$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))?.[1]);
  if (api?.ports?.find((p) => p.name === api.readinessProbe?.httpGet?.port)?.containerPort !== exposed)
    problems.push(`api does not listen on ${exposed}`);
  if (writer?.command?.join(' ') !== 'node dist/apps/worker/src/main.js') problems.push('writer does not run the worker');
  if (envValue(writer, 'TFTSR_WORKER_ROLE') !== 'writer') problems.push('writer does not run in role writer');
  return problems;
}

/** The scanners: no volume of data, nothing of the database key, the blob key from its Secret. */
function scannerProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const scanner = scannerOf(d);
  if (!scanner) return ['no Deployment in role scanner'];
  const pod = scanner.spec.template.spec;
  const dbKeySecrets = new Set(
    (dbHostOf(d)?.spec.template.spec.containers ?? []).flatMap((c) => {
      const found = secretFileAt(d, dbHostOf(d) as Workload, c, envValue(c, 'TFTSR_DB_KEY_FILE') ?? '');
      return typeof found === 'string' ? [] : [found.secret];
    }),
  );
  if (scanner.spec.volumeClaimTemplates) problems.push('the scanners claim volumes');
  for (const v of pod.volumes ?? []) {
    if (v.persistentVolumeClaim || v.hostPath) problems.push(`the scanners mount ${v.name}, a data volume`);
    if (v.secret && dbKeySecrets.has(v.secret.secretName))
      problems.push(`the scanners mount Secret ${v.secret.secretName}, the database key`);
  }
  for (const c of pod.containers) {
    if (c.volumeMounts?.some((m) => m.mountPath === '/data')) problems.push(`${c.name} mounts /data`);
    for (const e of c.env ?? []) {
      if (/^TFTSR_DB_KEY/.test(e.name)) problems.push(`${c.name} sets ${e.name}`);
      if (e.valueFrom?.secretKeyRef && dbKeySecrets.has(e.valueFrom.secretKeyRef.name))
        problems.push(`${c.name} reads the database key's Secret`);
    }
    if (c.command?.join(' ') !== 'node dist/apps/worker/src/main.js') problems.push(`${c.name} does not run the worker`);
    const blobKey = secretFileAt(d, scanner, c, envValue(c, 'TFTSR_BLOB_KEY_FILE') ?? '');
    if (typeof blobKey === 'string') problems.push(`${c.name}: TFTSR_BLOB_KEY_FILE: ${blobKey}`);
    if (processEnv(d, c).TFTSR_BLOB_STORE !== 's3') problems.push(`${c.name} does not read blobs from the bucket`);
  }
  return problems;
}

/** The database host's settings as the writer loads them (its queue prefix decides the list KEDA watches). */
function writerConfig(d: Deployed): WorkerConfig {
  const host = dbHostOf(d) as Workload;
  return loadConfig(WorkerConfig, processEnv(d, host.spec.template.spec.containers[1]));
}

/** KEDA: the scanner Deployment, the scan queue's wait list on the apps' Redis, the Redis passwords from the Secret. */
function kedaProblems(d: Deployed): string[] {
  const problems: string[] = [];
  const scaled = ofKind<ScaledObject>(d.manifests, 'ScaledObject');
  if (scaled.length !== 1) return [`${scaled.length} ScaledObjects`];
  const { scaleTargetRef: target, triggers, minReplicaCount = 0, maxReplicaCount = 100 } = scaled[0].spec;
  if (
    (target.kind ?? 'Deployment') !== 'Deployment' ||
    (target.apiVersion ?? 'apps/v1') !== 'apps/v1' ||
    target.name !== scannerOf(d)?.metadata.name
  )
    problems.push(`the ScaledObject scales ${target.kind ?? 'Deployment'}/${target.name}, not the scanners`);
  if (minReplicaCount < 1 || maxReplicaCount < minReplicaCount) problems.push(`replicas ${minReplicaCount}..${maxReplicaCount}`);
  const config = writerConfig(d);
  const topology = config.redis;
  for (const t of triggers) {
    const expectedType = { standalone: 'redis', sentinel: 'redis-sentinel', cluster: 'redis-cluster' }[topology.kind];
    if (t.type !== expectedType) problems.push(`trigger ${t.type}, but the apps reach Redis as ${topology.kind}`);
    if (t.metadata.listName !== `${config.queuePrefix}:scan:wait`)
      problems.push(`listName ${t.metadata.listName}, not ${config.queuePrefix}:scan:wait`);
    if (!/^[1-9]\d*$/.test(t.metadata.listLength ?? ''))
      problems.push(`listLength ${t.metadata.listLength} is not a positive whole number as a string`);
    if (topology.kind === 'sentinel') {
      const sentinels = topology.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
      if (t.metadata.addresses !== sentinels) problems.push(`addresses ${t.metadata.addresses}, not the apps' sentinels ${sentinels}`);
      if (t.metadata.sentinelMaster !== topology.name) problems.push(`sentinelMaster ${t.metadata.sentinelMaster}, not ${topology.name}`);
    }
    const auth = ofKind<TriggerAuthentication>(d.manifests, 'TriggerAuthentication').find(
      (a) => a.metadata.name === t.authenticationRef?.name,
    );
    if (!auth) {
      problems.push(`trigger ${t.type}: no TriggerAuthentication ${t.authenticationRef?.name}`);
      continue;
    }
    for (const ref of auth.spec.secretTargetRef) {
      if (!['username', 'password', 'sentinelUsername', 'sentinelPassword'].includes(ref.parameter))
        problems.push(`${ref.parameter} is no parameter of the Redis scalers`);
      if (!secretKeys(d, ref.name)?.includes(ref.key)) problems.push(`TriggerAuthentication: ${ref.name}/${ref.key} does not exist`);
    }
  }
  return problems;
}

/**
 * The field names of the objects these manifests fill in, from the Kubernetes API reference (core/v1, apps/v1) and
 * KEDA's ScaledObject specification and redis-sentinel scaler: a misspelt field is ignored by the API server, or
 * refused, but never what was meant.
 */
const FIELDS = {
  statefulSetSpec:
    'serviceName replicas selector template volumeClaimTemplates updateStrategy podManagementPolicy minReadySeconds revisionHistoryLimit persistentVolumeClaimRetentionPolicy ordinals',
  deploymentSpec: 'replicas selector template strategy minReadySeconds revisionHistoryLimit progressDeadlineSeconds paused',
  podSpec:
    'containers initContainers volumes securityContext terminationGracePeriodSeconds enableServiceLinks automountServiceAccountToken serviceAccountName nodeSelector affinity tolerations topologySpreadConstraints priorityClassName imagePullSecrets',
  container:
    'name image imagePullPolicy command args workingDir ports env envFrom resources volumeMounts livenessProbe readinessProbe startupProbe lifecycle securityContext terminationMessagePath terminationMessagePolicy',
  podSecurityContext:
    'runAsNonRoot runAsUser runAsGroup fsGroup fsGroupChangePolicy seccompProfile supplementalGroups seLinuxOptions sysctls appArmorProfile',
  securityContext:
    'allowPrivilegeEscalation readOnlyRootFilesystem capabilities runAsNonRoot runAsUser runAsGroup privileged seccompProfile procMount seLinuxOptions appArmorProfile',
  probe:
    'httpGet tcpSocket exec grpc initialDelaySeconds periodSeconds timeoutSeconds failureThreshold successThreshold terminationGracePeriodSeconds',
  resources: 'requests limits claims',
  volume: 'name secret emptyDir persistentVolumeClaim configMap projected',
  scaledObjectSpec:
    'scaleTargetRef pollingInterval cooldownPeriod initialCooldownPeriod idleReplicaCount minReplicaCount maxReplicaCount fallback advanced triggers',
  trigger: 'type name metadata authenticationRef metricType useCachedMetrics',
  redisSentinelMetadata:
    'addresses hosts ports addressesFromEnv hostsFromEnv portsFromEnv usernameFromEnv passwordFromEnv sentinelUsernameFromEnv sentinelPasswordFromEnv sentinelMaster sentinelMasterFromEnv listName listLength activationListLength enableTLS unsafeSsl databaseIndex',
};

function unknownFields(where: string, object: object | undefined, fields: string): string[] {
  const known = new Set(fields.split(' '));
  return Object.keys(object ?? {})
    .filter((key) => !known.has(key))
    .map((key) => `${where}: unknown field ${key}`);
}

function fieldProblems(d: Deployed): string[] {
  const problems: string[] = [];
  for (const w of workloads(d)) {
    const id = `${w.kind}/${w.metadata.name}`;
    problems.push(...unknownFields(id, w.spec, w.kind === 'StatefulSet' ? FIELDS.statefulSetSpec : FIELDS.deploymentSpec));
    const pod = w.spec.template.spec;
    problems.push(
      ...unknownFields(`${id} pod`, pod, FIELDS.podSpec),
      ...unknownFields(`${id} pod`, pod.securityContext, FIELDS.podSecurityContext),
    );
    for (const v of pod.volumes ?? []) problems.push(...unknownFields(`${id} volume ${v.name}`, v, FIELDS.volume));
    for (const c of pod.containers) {
      const cid = `${id}/${c.name}`;
      problems.push(...unknownFields(cid, c, FIELDS.container), ...unknownFields(cid, c.securityContext, FIELDS.securityContext));
      problems.push(...unknownFields(cid, (c as { resources?: object }).resources, FIELDS.resources));
      for (const probe of [c.readinessProbe, c.livenessProbe]) problems.push(...unknownFields(`${cid} probe`, probe, FIELDS.probe));
    }
  }
  for (const so of ofKind<ScaledObject>(d.manifests, 'ScaledObject')) {
    problems.push(...unknownFields('ScaledObject', so.spec, FIELDS.scaledObjectSpec));
    for (const t of so.spec.triggers) {
      problems.push(...unknownFields('trigger', t, FIELDS.trigger));
      if (t.type === 'redis-sentinel') problems.push(...unknownFields('trigger', t.metadata, FIELDS.redisSentinelMetadata));
    }
  }
  return problems;
}

/** All of the above. */
function problemsOf(d: Deployed): string[] {
  return [
    ...documentProblems(d),
    ...fieldProblems(d),
    ...workloadProblems(d),
    ...serviceProblems(d),
    ...dbHostProblems(d),
    ...scannerProblems(d),
    ...kedaProblems(d),
  ];
}

describe('deploy/kubernetes', () => {
  const deployed = readDeployed();

  it('parses: a ConfigMap, two Services, the StatefulSet, the scanner Deployment, KEDA’s two objects, and the example Secrets', () => {
    const kinds = deployed.manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort();
    expect(kinds).toEqual([
      'ConfigMap/tftsr-config',
      'Deployment/tftsr-scanner',
      'ScaledObject/tftsr-scanner',
      'Service/tftsr',
      'Service/tftsr-api',
      'StatefulSet/tftsr',
      'TriggerAuthentication/tftsr-redis',
    ]);
    expect(deployed.secrets.map((s) => s.kind)).toEqual(deployed.secrets.map(() => 'Secret'));
  });

  it('fits together: selectors, volumes, Secrets and their keys, probes, hardening, the Services, the scanners and KEDA', () => {
    expect(problemsOf(deployed)).toEqual([]);
  });

  it('gives the API and the writer settings their config classes load, with only TFTSR_* variables they know', () => {
    const host = dbHostOf(deployed) as Workload;
    const [api, writer] = host.spec.template.spec.containers;
    const load = () => {
      loadConfig(ApiConfig, processEnv(deployed, api));
      loadConfig(WorkerConfig, processEnv(deployed, writer));
    };
    expect(load).not.toThrow(ConfigError);
    expect(writerConfig(deployed).redis.kind).toBe('sentinel');
    const names = [
      ...Object.keys(configMapData(deployed, 'tftsr-config') ?? {}),
      ...workloads(deployed).flatMap((w) => w.spec.template.spec.containers.flatMap((c) => (c.env ?? []).map((e) => e.name))),
    ];
    expect(unknownTftsrVariables(names)).toEqual([]);
  });

  it('example/secrets.yaml holds placeholders only, never a key', () => {
    for (const secret of deployed.secrets) {
      expect(secret.data).toBeUndefined();
      for (const value of Object.values(secret.stringData ?? {})) expect(value).toMatch(/^<[^<>]+>$/);
    }
  });

  it('catches a Service that selects no pod, a Secret key that is missing, a misspelt field and a ScaledObject aimed elsewhere', () => {
    const broken = structuredClone(deployed);
    (broken.manifests.find((m) => m.metadata.name === 'tftsr-api') as Service).spec.selector['app.kubernetes.io/component'] = 'api';
    const redis = broken.secrets.find((s) => s.metadata.name === 'tftsr-redis') as Secret;
    const writer = (dbHostOf(broken) as Workload).spec.template.spec.containers[1];
    writer.securityContext = { ...writer.securityContext, readOnlyRootFilesytem: true } as Container['securityContext'];
    delete redis.stringData?.sentinel_password;
    (broken.manifests.find((m) => m.kind === 'ScaledObject') as ScaledObject).spec.scaleTargetRef.name = 'tftsr';
    const problems = problemsOf(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        'Service/tftsr-api: selects no pod',
        'StatefulSet/tftsr: volume redis reads tftsr-redis/sentinel_password, not a key of it',
        'Deployment/tftsr-scanner/scanner: TFTSR_REDIS_SENTINEL_PASSWORD_FILE: /run/secrets/tftsr-redis/sentinel_password: Secret tftsr-redis has no key sentinel_password',
        'TriggerAuthentication: tftsr-redis/sentinel_password does not exist',
        'the ScaledObject scales Deployment/tftsr, not the scanners',
        'StatefulSet/tftsr/writer: unknown field readOnlyRootFilesytem',
      ]),
    );
  });

  it('catches scanners given the data volume and the database key, and KEDA watching another list', () => {
    const broken = structuredClone(deployed);
    const scanner = scannerOf(broken) as Workload;
    const pod = scanner.spec.template.spec;
    pod.volumes = [
      ...(pod.volumes ?? []),
      { name: 'data', persistentVolumeClaim: {} },
      { name: 'db-key', secret: { secretName: 'tftsr-db-key' } },
    ];
    pod.containers[0].volumeMounts?.push({ name: 'data', mountPath: '/data' });
    pod.containers[0].env?.push({ name: 'TFTSR_DB_KEY_FILE', value: '/run/secrets/tftsr-db-key/db_key' });
    (broken.manifests.find((m) => m.kind === 'ScaledObject') as ScaledObject).spec.triggers[0].metadata.listName = 'bull:scan:wait';
    expect(problemsOf(broken)).toEqual(
      expect.arrayContaining([
        'the scanners mount data, a data volume',
        'the scanners mount Secret tftsr-db-key, the database key',
        'scanner mounts /data',
        'scanner sets TFTSR_DB_KEY_FILE',
        'listName bull:scan:wait, not tftsr:scan:wait',
      ]),
    );
  });
});
