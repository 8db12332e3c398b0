import type { PiiType } from '../pii-types';
import * as id from './identity-samples';
import type { Prng } from './prng';
import * as sec from './secret-samples';
import { type Segment, around, pii, plain } from './segments';

type Sampler = (r: Prng) => Segment[];

/** Picks a context template and fills its {v} with a labelled value. */
function inContext(type: PiiType, value: (r: Prng) => string, templates: readonly string[]): Sampler {
  return (r) => around(r.pick(templates), type, value(r));
}

/** For each type, a value in one of the contexts it shows up in; the label covers the value only, not its key. */
/** Every built-in type; Custom spans come from a user's rules, which the corpus has none of. */
export type SampledType = Exclude<PiiType, 'Custom'>;

export const SAMPLERS: Readonly<Record<SampledType, Sampler>> = {
  PrivateKey: (r) => {
    if (r.chance(0.4)) return around('"private_key": "{v}\\n",', 'PrivateKey', sec.privateKey(r, true));
    return around(
      r.pick(['loaded key material:\n{v}', 'ssh: using identity\n{v}\n', 'tls.key=\n{v}']),
      'PrivateKey',
      sec.privateKey(r, false),
    );
  },
  URL: inContext('URL', sec.urlWithCredentials, [
    'connecting to {v}',
    'dsn={v}',
    '"url":"{v}"',
    'DATABASE_URL={v}',
    'broker {v} unreachable',
    'proxy={v} ',
  ]),
  Bearer: inContext('Bearer', sec.bearerToken, [
    'Authorization: Bearer {v}',
    '"Authorization": "Bearer {v}"',
    'authorization=Bearer {v}',
    'header bearer {v} rejected',
    "headers={'Authorization': 'Bearer {v}'}",
  ]),
  JWT: inContext('JWT', sec.jwt, [
    'jwt={v}',
    '"id_token":"{v}"',
    'token={v}',
    'session={v};',
    'Cookie: auth={v}',
    'invalid signature on {v}',
  ]),
  AwsAccessKey: inContext('AwsAccessKey', sec.awsAccessKey, [
    'aws_access_key_id={v}',
    'AccessKeyId: {v}',
    '"AccessKeyId":"{v}"',
    'using key {v} for s3',
    'AWS_ACCESS_KEY_ID={v}',
  ]),
  GitHubToken: inContext('GitHubToken', sec.gitHubToken, [
    'GITHUB_TOKEN={v}',
    'token {v}',
    'Authorization: token {v}',
    'git fetch https://{v}@git/acme/infra.git',
    '"token": "{v}"',
  ]),
  SlackToken: inContext('SlackToken', sec.slackToken, ['SLACK_BOT_TOKEN={v}', '"token":"{v}"', 'webhook={v}', 'posting alert via {v}']),
  ApiKey: (r) => {
    if (r.chance(0.2))
      return around(
        r.pick(['aws_secret_access_key = {v}', 'AWS_SECRET_ACCESS_KEY={v}', '"SecretAccessKey": "{v}"']),
        'ApiKey',
        sec.awsSecretKey(r),
      );
    return around(
      r.pick([
        'api_key={v}',
        'apikey={v}',
        '"apiKey": "{v}"',
        'X-API-Key: {v}',
        '"apikey":"{v}"',
        'access_token={v}',
        'GET /v1/items?api_key={v}&format=json',
        'API_KEY="{v}"',
        'x-api-key={v}',
        'secret_key: {v}',
        'Authorization: Token {v}',
        "api-key: '{v}'",
      ]),
      'ApiKey',
      sec.apiKeyValue(r),
    );
  },
  Password: (r) => {
    const v = sec.password(r);
    if (/[0-9!@#$%^&*_\-+=]/.test(v) && r.chance(0.1)) return around(r.pick(['the password is {v}', 'Password was {v} ']), 'Password', v);
    return around(
      r.pick([
        'password={v}',
        '"password": "{v}"',
        '"password":"{v}"',
        'pwd: {v}',
        'passwd={v}',
        'PGPASSWORD={v}',
        'DB_PASSWORD={v}',
        '--password {v}',
        '<password>{v}</password>',
        'Server=db;User Id=sa;Password={v};',
        'secret={v}',
        'client_secret: {v}',
        'pass: {v}',
        'spring.datasource.password={v}',
        "{'password': '{v}'}",
        'user=admin&password={v}&remember=1',
      ]),
      'Password',
      v,
    );
  },
  SSN: (r) => {
    if (r.chance(0.15)) return around(r.pick(['ssn={v}', 'SSN: {v}']), 'SSN', id.ssn(r).replace(/-/g, r.pick(['', ' '])));
    return around(r.pick(['ssn={v}', 'SSN: {v}', '"ssn":"{v}"', 'social security number {v}', 'tax id {v} on file']), 'SSN', id.ssn(r));
  },
  DateOfBirth: inContext('DateOfBirth', id.birthDate, [
    'dob={v}',
    'DOB: {v}',
    '"date_of_birth":"{v}"',
    'birthdate={v}',
    'patient born {v}',
    '"dateOfBirth": "{v}"',
    'date of birth {v} verified',
    'D.O.B. {v}',
  ]),
  IBAN: inContext('IBAN', id.iban, ['iban={v}', 'IBAN {v}', '"iban":"{v}"', 'transfer to account {v} queued']),
  CreditCard: inContext('CreditCard', id.creditCard, [
    'card={v}',
    'card number {v}',
    '"pan":"{v}"',
    'cc: {v}',
    'payment with {v} declined',
  ]),
  Email: inContext('Email', id.email, [
    'user={v}',
    '<{v}>',
    'email: {v}',
    'from {v}',
    '"email":"{v}"',
    'mailto:{v}',
    'to={v},',
    'sent to {v}.',
  ]),
  MAC: inContext('MAC', id.mac, ['mac={v}', 'hwaddr {v}', 'ether {v}', '"mac":"{v}"', 'DHCPACK to {v} via eth0', 'client-id {v}']),
  IPv6: inContext('IPv6', id.ipv6, ['from {v}', 'addr={v}', '"ip":"{v}"', 'client {v} ', 'inet6 {v}/64']),
  IPv4: (r) => {
    const v = id.ipv4(r);
    const t = r.pick([
      'from {v} port 22',
      'client {v}:PORT',
      '[{v}]',
      'rhost={v}',
      'src={v}',
      '"ip":"{v}"',
      '{v}/24',
      '/{v}:50010',
      'X-Forwarded-For: {v}',
      'peer {v}.',
    ]);
    return around(t.replace('PORT', String(r.int(1024, 65535))), 'IPv4', v);
  },
  Phone: inContext('Phone', id.phone, [
    'phone={v}',
    'tel: {v}',
    '"phone":"{v}"',
    'call {v}',
    'sms to {v} failed',
    'contact {v} for escalation',
  ]),
  Hostname: inContext('Hostname', id.hostname, [
    'host={v}',
    'connecting to {v}:5432',
    'upstream {v} timed out',
    '"host":"{v}"',
    'resolved {v}',
    'GET https://{v}/api/v1/status',
    'node {v} NotReady',
  ]),
};

export function sample(r: Prng, type: SampledType): Segment[] {
  return SAMPLERS[type](r).filter((s) => s.text.length > 0 || s.type !== undefined);
}

export { pii, plain };
