/**
 * docker-compose.yml, the Dockerfile and .dockerignore, checked without a Docker engine (none runs here).
 * Real: the Compose specification's JSON schema (vendored in test/fixtures, see its README) checked with Ajv,
 * on the file parsed as YAML with its anchors merged. The text checks pin how the file is written (anchors).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import draft07 from 'ajv/dist/refs/json-schema-draft-07.json';
import { CORE_SCHEMA, load, mergeTag } from 'js-yaml';
import composeSpec from '../fixtures/compose-spec.json';
import { NO_KEY_MESSAGE } from '@tftsr/api/auth/api-key.service';
import { unknownTftsrVariables } from './support/config-variables';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

/** A secret's value in the file: TFTSR_DB_KEY (or another secret) set to anything, as opposed to its _FILE. */
const LITERAL_KEY = /\b(TFTSR_DB_KEY|TFTSR_BOOTSTRAP_API_KEY|TFTSR_AI_API_KEY)\s*[:=]/;

const ajv = new Ajv({ allErrors: true, strict: false });
// The schema names its meta-schema by the https address; Ajv ships draft-07 under the http one.
ajv.addMetaSchema({ ...draft07, $id: 'https://json-schema.org/draft-07/schema' });
const validateCompose = ajv.compile(composeSpec);

/**
 * Interpolated as `docker compose` does with an empty environment (each `${VAR:-default}` becomes its default),
 * so a developer's .env cannot change the result; then parsed with YAML merge keys, which Compose supports.
 */
function parseCompose(yaml: string): unknown {
  const interpolated = yaml.replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_match, fallback: string | undefined) => fallback ?? '');
  return load(interpolated, { schema: CORE_SCHEMA.withTags(mergeTag) });
}

/** The schema's complaints, one line each ("/services/api must NOT have additional properties: restrat"). */
function schemaErrors(model: unknown): string[] {
  if (validateCompose(model)) return [];
  return (validateCompose.errors ?? []).map((e) => {
    const extra = 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : '';
    return `${e.instancePath} ${e.message}${extra}`;
  });
}

type ShortVolume = string | { type: string; source: string; target: string };
type ShortSecret = string | { source: string; target: string };

/** The long syntax `docker compose config` would print for the short forms this file uses (build, volumes, secrets). */
function normalize(parsed: unknown): ComposeModel {
  const model = structuredClone(parsed) as ComposeModel;
  for (const service of Object.values(model.services)) {
    const raw = service as unknown as { build?: string | { context: string }; volumes?: ShortVolume[]; secrets?: ShortSecret[] };
    if (typeof raw.build === 'string') service.build = { context: raw.build };
    service.volumes = raw.volumes?.map((v) => {
      if (typeof v !== 'string') return v;
      const [source, target] = v.split(':');
      return { type: /^[./~]/.test(source) ? 'bind' : 'volume', source, target };
    });
    service.secrets = raw.secrets?.map((x) => (typeof x === 'string' ? { source: x, target: `/run/secrets/${x}` } : x));
  }
  return model;
}

/** Top-level YAML blocks by key, each with the lines under it. Enough for this file's layout. */
function topLevelBlocks(yaml: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of yaml.split('\n')) {
    const key = /^([A-Za-z][\w.-]*):/.exec(line);
    if (key) blocks.set(key[1], (current = []));
    else current?.push(line);
  }
  return blocks;
}

function childKeys(lines: string[] | undefined): string[] {
  return (lines ?? []).map((line) => /^ {2}([\w.-]+):/.exec(line)?.[1]).filter((key): key is string => key !== undefined);
}

/** What the text of docker-compose.yml must show; returns the facts that do not hold. */
function textProblems(yaml: string): string[] {
  const problems: string[] = [];
  const blocks = topLevelBlocks(yaml);
  const services = childKeys(blocks.get('services'));
  for (const name of ['redis', 'api', 'worker']) {
    if (!services.includes(name)) problems.push(`no service ${name}`);
  }
  const volumes = childKeys(blocks.get('volumes'));
  if (!volumes.includes('data')) problems.push('no named volume "data"');
  if (!/^\s*- data:\/data\s*$/m.test(yaml)) problems.push('the data volume is not mounted at /data');
  if (!/TFTSR_DATA_DIR:\s*\/data\b/.test(yaml)) problems.push('TFTSR_DATA_DIR is not /data');
  if (!/image:\s*redis:7\b/.test(yaml)) problems.push('redis does not run redis:7');
  if (!/--appendonly["',\s]+yes\b/.test(yaml)) problems.push('redis has no --appendonly yes');
  if (!/--maxmemory-policy["',\s]+noeviction\b/.test(yaml)) problems.push('redis has no --maxmemory-policy noeviction');
  if (!/TFTSR_DB_KEY_FILE:\s*\/run\/secrets\/tftsr_db_key\b/.test(yaml)) problems.push('no TFTSR_DB_KEY_FILE from the secret');
  if (!childKeys(blocks.get('secrets')).includes('tftsr_db_key')) problems.push('no tftsr_db_key secret');
  if (LITERAL_KEY.test(yaml)) problems.push('a literal TFTSR_DB_KEY');
  problems.push(...hardeningProblems(yaml));
  return problems;
}

/** Read-only roots, no capabilities or privilege escalation, bounded memory and pids, rotated logs. */
function hardeningProblems(yaml: string): string[] {
  const problems: string[] = [];
  const hardening = /x-hardening: &hardening\n((?: {2}.*\n)+)/.exec(yaml)?.[1] ?? '';
  if (!/read_only: true/.test(hardening)) problems.push('containers are not read_only');
  if (!/tmpfs:\s*\n\s*- \/tmp/.test(hardening)) problems.push('no tmpfs for /tmp');
  if (!/no-new-privileges:true/.test(hardening)) problems.push('no no-new-privileges');
  if (!/cap_drop:\s*\n\s*- ALL/.test(hardening)) problems.push('capabilities are not all dropped');
  if (!/logging: \*logging/.test(hardening) || !/max-size: "\d+m"/.test(yaml) || !/max-file: "\d+"/.test(yaml))
    problems.push('logs are not rotated');
  const blocks = serviceBlocks(yaml);
  for (const name of ['redis', 'api', 'worker']) {
    const block = blocks.get(name) ?? '';
    if (!/<<: \*(hardening|app)/.test(block)) problems.push(`${name} is not hardened`);
    if (!/mem_limit: \d+[mg]/.test(block)) problems.push(`${name} has no mem_limit`);
  }
  if (!/x-app: &app\n(?: {2}.*\n)*? {2}pids_limit: \d+/.test(yaml) || !/pids_limit: \d+/.test(blocks.get('redis') ?? ''))
    problems.push('pids are not limited');
  return problems;
}

/** The lines of each service under `services:`, by name. */
function serviceBlocks(yaml: string): Map<string, string> {
  const services = topLevelBlocks(yaml).get('services') ?? [];
  const blocks = new Map<string, string>();
  let name: string | undefined;
  for (const line of services) {
    const key = /^ {2}([\w.-]+):\s*$/.exec(line);
    if (key) blocks.set((name = key[1]), '');
    else if (name) blocks.set(name, `${blocks.get(name)}${line}\n`);
  }
  return blocks;
}

interface ComposeService {
  profiles?: string[];
  image?: string;
  build?: { context: string };
  command?: string[];
  entrypoint?: string[];
  deploy?: { replicas?: number };
  ports?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
  secrets?: { source: string; target: string }[];
  volumes?: { type: string; source: string; target: string }[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  mem_limit?: string;
  pids_limit?: number;
  tmpfs?: string[];
  logging?: { driver: string; options?: Record<string, string> };
}

interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string; environment?: string }>;
}

function hasPair(list: string[] | undefined, flag: string, value: string): boolean {
  const at = (list ?? []).indexOf(flag);
  return at >= 0 && list?.[at + 1] === value;
}

/** What the resolved model (`config --format json`) must show; returns the facts that do not hold. */
function modelProblems(model: ComposeModel): string[] {
  const problems: string[] = [];
  // The services `docker compose up` starts: those of no profile.
  const names = Object.keys(model.services)
    .filter((n) => !model.services[n].profiles)
    .sort();
  if (names.join() !== 'api,redis,worker') problems.push(`services are ${names.join(', ')}`);
  const { redis, api, worker } = model.services;

  if (redis?.image !== 'redis:7') problems.push('redis does not run redis:7');
  if (!hasPair(redis?.command, '--appendonly', 'yes')) problems.push('redis has no --appendonly yes');
  if (!hasPair(redis?.command, '--maxmemory-policy', 'noeviction')) problems.push('redis has no --maxmemory-policy noeviction');
  if (!redis?.healthcheck?.test.join(' ').includes('redis-cli ping')) problems.push('redis has no redis-cli ping healthcheck');
  if (!redis?.volumes?.some((v) => v.type === 'volume' && v.target === '/data' && v.source !== 'data')) {
    problems.push('redis has no named volume of its own');
  }

  for (const [name, service, entry] of [
    ['api', api, 'dist/apps/api/src/main.js'],
    ['worker', worker, 'dist/apps/worker/src/main.js'],
  ] as const) {
    if (!service) continue;
    if (service.build === undefined || service.image !== api?.image) problems.push(`${name} is not built as the one shared image`);
    if (service.command?.join(' ') !== `node ${entry}`) problems.push(`${name} does not run node ${entry}`);
    if (!service.volumes?.some((v) => v.type === 'volume' && v.source === 'data' && v.target === '/data')) {
      problems.push(`${name} does not mount the data volume at /data`);
    }
    const env = service.environment ?? {};
    const expected = {
      NODE_ENV: 'production',
      TFTSR_DATA_DIR: '/data',
      REDIS_URL: 'redis://redis:6379',
      TFTSR_DB_KEY_FILE: '/run/secrets/tftsr_db_key',
    };
    for (const [key, value] of Object.entries(expected)) {
      if (env[key] !== value) problems.push(`${name} has ${key}=${env[key]}, not ${value}`);
    }
    if ('TFTSR_DB_KEY' in env) problems.push(`${name} sets TFTSR_DB_KEY`);
    if (!service.secrets?.some((s) => s.source === 'tftsr_db_key' && s.target === '/run/secrets/tftsr_db_key')) {
      problems.push(`${name} does not get the tftsr_db_key secret`);
    }
    if (service.depends_on?.redis?.condition !== 'service_healthy') problems.push(`${name} does not wait for a healthy redis`);
    if (service.stop_grace_period !== '30s') problems.push(`${name} stop_grace_period is ${service.stop_grace_period}`);
    if (service.restart !== 'unless-stopped') problems.push(`${name} restart is ${service.restart}`);
  }
  if (!api?.healthcheck?.test.join(' ').includes('/health/ready')) problems.push('api has no /health/ready healthcheck');
  for (const [name, service] of Object.entries(model.services)) {
    if (service.read_only !== true || !service.tmpfs?.includes('/tmp')) problems.push(`${name} has no read-only root with a /tmp tmpfs`);
    if (!service.cap_drop?.includes('ALL')) problems.push(`${name} keeps its capabilities`);
    if (!service.security_opt?.includes('no-new-privileges:true')) problems.push(`${name} may gain privileges`);
    if (!service.mem_limit || !service.pids_limit) problems.push(`${name} has no memory or pids limit`);
    if (service.logging?.driver !== 'json-file' || !service.logging.options?.['max-size'] || !service.logging.options['max-file'])
      problems.push(`${name} logs are not rotated`);
  }
  if (
    api?.environment?.TFTSR_BOOTSTRAP_API_KEY_FILE !== '/run/secrets/tftsr_bootstrap_api_key' ||
    !api.secrets?.some((x) => x.source === 'tftsr_bootstrap_api_key')
  ) {
    problems.push('api does not get the bootstrap key from its secret');
  }

  if (!model.volumes || !('data' in model.volumes)) problems.push('no named volume "data"');
  if (!model.secrets?.tftsr_db_key?.file) problems.push('the tftsr_db_key secret does not come from a file');
  return problems;
}

/** The services of the `scale` profile: MinIO, the bucket's one-shot, the API and the DB writer on the bucket, the scanners. */
const SCALE_SERVICES = ['api-s3', 'minio', 'minio-init', 'scanner', 'writer'];

/** What the `scale` profile must be; returns the facts that do not hold. */
function scaleProblems(model: ComposeModel): string[] {
  const problems: string[] = [];
  const profiled = (profile: string) =>
    Object.keys(model.services)
      .filter((n) => model.services[n].profiles?.includes(profile))
      .sort();
  if (profiled('scale').join() !== SCALE_SERVICES.join()) problems.push(`the scale profile has ${profiled('scale').join(', ')}`);
  const { api, minio, scanner, writer } = model.services;
  const init = model.services['minio-init'];
  const apiS3 = model.services['api-s3'];
  const env = (service: ComposeService | undefined) => service?.environment ?? {};
  const mountsSecretAt = (service: ComposeService | undefined, path: string | null | undefined) =>
    service?.secrets?.some((x) => x.target === path) ?? false;

  if (!minio?.image?.startsWith('minio/minio:RELEASE.')) problems.push('minio does not run a pinned minio/minio release');
  if (!minio?.healthcheck?.test.join(' ').includes('mc ready local')) problems.push('minio has no health check');
  if (!minio?.volumes?.some((v) => v.type === 'volume' && v.source === 'minio-data' && v.target === '/data'))
    problems.push('minio has no volume of its own');
  if (!init?.image?.startsWith('minio/mc:RELEASE.')) problems.push('minio-init does not run a pinned minio/mc release');
  if (init?.depends_on?.minio?.condition !== 'service_healthy') problems.push('minio-init does not wait for a healthy minio');
  if (init?.restart !== 'no') problems.push('minio-init is not a one-shot');
  const script = [...(init?.entrypoint ?? []), ...(init?.command ?? [])].join('\n');
  const bucket = env(scanner).TFTSR_S3_BUCKET;
  if (!bucket || !script.includes(`mc mb --ignore-existing local/${bucket}`))
    problems.push(`minio-init does not make the bucket ${bucket}`);
  if (!script.includes(`mc admin user add local ${env(scanner).TFTSR_S3_ACCESS_KEY_ID} `))
    problems.push('minio-init does not make the bucket user the apps sign in as');

  for (const [name, service] of [
    ['api-s3', apiS3],
    ['writer', writer],
    ['scanner', scanner],
  ] as const) {
    if (!service) continue;
    if (service.build === undefined || service.image !== api?.image) problems.push(`${name} is not built as the one shared image`);
    if (service.depends_on?.['minio-init']?.condition !== 'service_completed_successfully')
      problems.push(`${name} does not wait for the bucket`);
    if (service.depends_on?.redis?.condition !== 'service_healthy') problems.push(`${name} does not wait for a healthy redis`);
    const s3 = env(service);
    if (s3.TFTSR_BLOB_STORE !== 's3' || s3.TFTSR_S3_ENDPOINT !== 'http://minio:9000') problems.push(`${name} does not use the bucket`);
    for (const key of ['TFTSR_S3_BUCKET', 'TFTSR_S3_ACCESS_KEY_ID', 'TFTSR_S3_FORCE_PATH_STYLE', 'TFTSR_S3_SECRET_ACCESS_KEY_FILE']) {
      if (s3[key] !== env(scanner)[key]) problems.push(`${name} has another ${key} than the scanners`);
    }
    if (!mountsSecretAt(service, s3.TFTSR_S3_SECRET_ACCESS_KEY_FILE)) problems.push(`${name} does not get the bucket's secret key`);
    if (service.stop_grace_period !== '30s') problems.push(`${name} stop_grace_period is ${service.stop_grace_period}`);
  }

  // The database host's two: the data volume and the database key, like api and worker.
  for (const [name, service] of [
    ['api-s3', apiS3],
    ['writer', writer],
  ] as const) {
    if (!service?.volumes?.some((v) => v.type === 'volume' && v.source === 'data' && v.target === '/data'))
      problems.push(`${name} does not mount the data volume at /data`);
    if (!mountsSecretAt(service, env(service).TFTSR_DB_KEY_FILE)) problems.push(`${name} does not get the database key`);
  }
  if (env(writer).TFTSR_WORKER_ROLE !== 'writer') problems.push('writer does not run in role writer');
  if (apiS3?.command?.join(' ') !== api?.command?.join(' ')) problems.push('api-s3 does not run the API');
  if (apiS3?.ports?.join() !== api?.ports?.join()) problems.push('api-s3 is not published where api is');
  if (apiS3?.healthcheck?.test.join(' ') !== api?.healthcheck?.test.join(' ')) problems.push('api-s3 is not checked as api is');

  // The scanners: two, and nothing of the database host.
  if (scanner?.deploy?.replicas !== 2) problems.push(`scanner runs ${scanner?.deploy?.replicas} replicas, not 2`);
  if (env(scanner).TFTSR_WORKER_ROLE !== 'scanner') problems.push('scanner does not run in role scanner');
  if (scanner?.command?.join(' ') !== 'node dist/apps/worker/src/main.js') problems.push('scanner does not run the worker');
  if ((scanner?.volumes ?? []).length > 0) problems.push('scanner mounts a volume');
  if (scanner?.secrets?.some((x) => x.source === 'tftsr_db_key')) problems.push('scanner gets the tftsr_db_key secret');
  for (const key of Object.keys(env(scanner))) {
    if (/^TFTSR_DB_KEY|^TFTSR_DATA_DIR$/.test(key)) problems.push(`scanner sets ${key}`);
  }
  if (!mountsSecretAt(scanner, env(scanner).TFTSR_BLOB_KEY_FILE)) problems.push('scanner does not get the blob key from a secret');
  return problems;
}

/** Every TFTSR_* variable given to a container, by name. */
function containerVariables(model: ComposeModel): string[] {
  return Object.values(model.services).flatMap((service) => Object.keys(service.environment ?? {}));
}

/** The variables the file takes from the shell or .env (`${NAME:-default}`): Compose's, not the apps'. */
function interpolatedVariables(yaml: string): string[] {
  return [...new Set([...yaml.matchAll(/\$\{(\w+)/g)].map((m) => m[1]))].sort();
}

describe('docker-compose.yml', () => {
  const yaml = read('docker-compose.yml');

  it('shows redis, api, worker, the data volume, AOF, noeviction and the key secret in its text', () => {
    expect(textProblems(yaml)).toEqual([]);
  });

  it('hardens every container, wires the bootstrap key from a secret and has a metrics profile scraping both processes', () => {
    const blocks = serviceBlocks(yaml);
    expect(blocks.get('api')).toMatch(/TFTSR_BOOTSTRAP_API_KEY_FILE: \/run\/secrets\/tftsr_bootstrap_api_key/);
    expect(blocks.get('api')).toMatch(/- tftsr_bootstrap_api_key/);
    expect(childKeys(topLevelBlocks(yaml).get('secrets'))).toEqual([
      'tftsr_db_key',
      'tftsr_bootstrap_api_key',
      'tftsr_metrics_api_key',
      'minio_root_password',
      'tftsr_s3_secret_key',
      'tftsr_blob_key',
    ]);
    expect(blocks.get('prometheus')).toMatch(/profiles: \["metrics"\]/);
    expect(blocks.get('prometheus')).toMatch(/\.\/deploy\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml:ro/);
    const prometheus = read('deploy/prometheus.yml');
    expect(prometheus).toMatch(/targets: \["api:3000"\]/);
    expect(prometheus).toMatch(/targets: \["worker:9464"\]/);
    expect(prometheus).toMatch(/credentials_file: \/run\/secrets\/tftsr_metrics_api_key/);
    expect(yaml).toMatch(/TFTSR_WORKER_METRICS_PORT: "9464"/);
  });

  it('text checks catch a container that is not hardened', () => {
    const broken = yaml
      .replace('read_only: true', 'read_only: false')
      .replace('- no-new-privileges:true', '- seccomp:unconfined')
      .replace(/mem_limit: 2g\n/, '');
    expect(hardeningProblems(broken)).toEqual(['containers are not read_only', 'no no-new-privileges', 'worker has no mem_limit']);
  });

  it('text checks catch an evicting Redis without AOF and a key written into the file', () => {
    const broken = yaml
      .replace(/noeviction/g, 'allkeys-lru')
      .replace(/"--appendonly", "yes"/g, '"--appendonly", "no"')
      .replace('TFTSR_DATA_DIR: /data', 'TFTSR_DATA_DIR: /data\n  TFTSR_DB_KEY: hunter2');
    expect(textProblems(broken)).toEqual([
      'redis has no --appendonly yes',
      'redis has no --maxmemory-policy noeviction',
      'a literal TFTSR_DB_KEY',
    ]);
  });

  it('has a scale profile: MinIO with a health check, the bucket made once, the API and the DB writer on it, two scanners', () => {
    expect(scaleProblems(normalize(parseCompose(yaml)))).toEqual([]);
  });

  it('scale checks catch scanners given the data volume or the database key, and one scanner', () => {
    const model = normalize(parseCompose(yaml));
    const scanner = model.services.scanner;
    scanner.volumes = [{ type: 'volume', source: 'data', target: '/data' }];
    scanner.secrets = [...(scanner.secrets ?? []), { source: 'tftsr_db_key', target: '/run/secrets/tftsr_db_key' }];
    scanner.environment = { ...scanner.environment, TFTSR_DB_KEY_FILE: '/run/secrets/tftsr_db_key' };
    scanner.deploy = { replicas: 1 };
    expect(scaleProblems(model)).toEqual([
      'scanner runs 1 replicas, not 2',
      'scanner mounts a volume',
      'scanner gets the tftsr_db_key secret',
      'scanner sets TFTSR_DB_KEY_FILE',
    ]);
  });

  it('gives the containers only TFTSR_* variables the config classes know, and documents its own in .env.example', () => {
    const model = normalize(parseCompose(yaml));
    expect(unknownTftsrVariables(containerVariables(model))).toEqual([]);
    expect(unknownTftsrVariables(['TFTSR_S3_BUKCET', 'TFTSR_S3_BUCKET'])).toEqual(['TFTSR_S3_BUKCET']);
    const example = read('.env.example');
    const undocumented = interpolatedVariables(yaml).filter((name) => !new RegExp(`^${name}=`, 'm').test(example));
    expect(undocumented).toEqual([]);
  });

  it('is valid Compose, with the services, volumes, healthchecks and secret it needs', () => {
    const parsed = parseCompose(yaml);
    expect(schemaErrors(parsed)).toEqual([]);
    expect(modelProblems(normalize(parsed))).toEqual([]);
  });

  it('the schema rejects a file that breaks the Compose schema', () => {
    const misspelled = yaml.replace('stop_grace_period: 30s\n  pids_limit', 'stop_grace_periode: 30s\n  pids_limit');
    expect(schemaErrors(parseCompose(misspelled))).toEqual(
      expect.arrayContaining(['/services/api must NOT have additional properties: stop_grace_periode']),
    );
    const badCondition = yaml.replace('condition: service_healthy\n  environment', 'condition: service_happy\n  environment');
    expect(schemaErrors(parseCompose(badCondition))).toEqual(
      expect.arrayContaining(['/services/worker/depends_on/redis/condition must be equal to one of the allowed values']),
    );
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);

  it('installs dependencies from the package files alone (cached) before the sources, with the native toolchain in the build stages only', () => {
    expect(stages.map((stage) => stage.split('\n')[0].trim())).toEqual([
      'node:22-bookworm-slim AS deps',
      'deps AS build',
      'node:22-bookworm-slim',
    ]);
    const [deps, build, runtime] = stages;
    expect(deps).toMatch(/python3 make g\+\+/);
    expect(deps).toMatch(/^COPY package\.json package-lock\.json \.\/$/m);
    expect(deps).not.toMatch(/^COPY \. \./m);
    expect(deps).toMatch(/RUN --mount=type=cache,target=\/root\/\.npm \\\n\s+npm ci --ignore-scripts/);
    // Every install script package.json allows runs, by name: nothing the policy refuses, nothing it allows skipped.
    const allowed = Object.entries(JSON.parse(read('package.json')).allowScripts as Record<string, boolean>)
      .filter(([, ok]) => ok)
      .map(([name]) => name);
    expect(/npm rebuild (.+)$/m.exec(deps)?.[1].split(' ').sort()).toEqual(allowed.sort());
    expect(build.indexOf('COPY . .')).toBeLessThan(build.indexOf('RUN npm run build && npm prune --omit=dev'));
    expect(runtime).not.toMatch(/g\+\+|npm ci/);
  });

  it('ships no TypeScript, bench or test output, and has OCI labels and a HEALTHCHECK for both processes', () => {
    const runtime = stages[2];
    const copiedDist = [...runtime.matchAll(/^COPY --from=build \/app\/(dist\S*) /gm)].map((m) => m[1]);
    expect(copiedDist).toEqual(['dist/apps', 'dist/libs', 'dist/scripts', 'dist/web']);
    expect(runtime).not.toMatch(/typescript|dist\/bench|dist\/test|\bsrc\b.*\.ts\b/);
    for (const label of ['title', 'description', 'version', 'revision', 'licenses'])
      expect(runtime).toMatch(new RegExp(`org\\.opencontainers\\.image\\.${label}=`));
    expect(runtime).toMatch(/^HEALTHCHECK .*CMD \["node", "dist\/scripts\/healthcheck\.js"\]$/m);
    expect(read('scripts/healthcheck.ts')).toMatch(/TFTSR_WORKER_METRICS_PORT/);
  });

  it('puts tftsr on the PATH, the command the API’s log tells the operator to run', () => {
    const linked = /ln -s \/app\/(bin\/tftsr\.js) \/usr\/local\/bin\/(\S+)/.exec(stages[2]);
    expect(linked?.slice(1)).toEqual(['bin/tftsr.js', 'tftsr']);
    expect(JSON.parse(read('package.json')).bin).toEqual({ tftsr: 'bin/tftsr.js' });
    expect(read('bin/tftsr.js').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(NO_KEY_MESSAGE).toMatch(/`tftsr keys create --name NAME --scopes read,write,admin`/);
    expect(NO_KEY_MESSAGE).toMatch(/`docker compose exec api tftsr keys create …`/);
  });

  it('runs as node, with what the apps need and a /data it owns', () => {
    const runtime = stages[2];
    for (const copied of ['node_modules', 'dist/apps', 'migrations', 'bin', 'package.json']) {
      expect(runtime).toMatch(new RegExp(`^COPY --from=build /app/${copied} `, 'm'));
    }
    expect(runtime).toMatch(/chown node:node \/data/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
  });

  it('keeps secrets, local data and build output out of the build context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'secrets/', 'data/', 'node_modules/', 'dist/', '.git/']));
  });

  it('.env.example sets no key value', () => {
    expect(read('.env.example')).not.toMatch(/^\s*TFTSR_DB_KEY\s*=/m);
  });
});
