import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningApp } from '../support/app-processes';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import { closedRedactedText } from '../support/log-streams';
import { makeTempDir } from '../support/temp-dir';

const EMAIL = 'ops.lead@example.org';
const AWS_KEY = 'AKIAZXCVBNMASDFGHJKL';

/**
 * rsyslog (Debian's rsyslog and rsyslog-elasticsearch, installed by .ci/run) tails a file through imfile and
 * ships it with omelasticsearch in bulk mode, Basic auth with the key as password, into /_bulk.
 */
describe('rsyslog omelasticsearch ships a tailed file into /_bulk', () => {
  let api: TestApi;
  let worker: RunningApp;
  let rsyslog: ChildProcess;
  let rsyslogOutput = '';
  const temp = makeTempDir('tftsr-rsyslog-');

  beforeAll(async () => {
    api = await startTestApi('rsyslog', { TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200' });
    worker = api.startWorker();
    await api.call('PUT', '/v1/settings/ingest.chunk_idle_seconds', { body: { value: 1 } });
  });
  afterAll(async () => {
    if (rsyslog && rsyslog.exitCode === null) {
      rsyslog.kill('SIGTERM');
      await once(rsyslog, 'exit');
    }
    await worker.stop();
    await api.close();
    temp.remove();
  });

  it('lands the lines in a chunk that is scanned, with the planted secrets found and redacted', async () => {
    const issue = await api.createIssue();
    const key = api.createKey('rsyslog', ['ingest']);
    const port = new URL(api.base).port;
    const logFile = join(temp.dir, 'app.log');
    writeFileSync(logFile, '');
    const config = join(temp.dir, 'rsyslog.conf');
    writeFileSync(
      config,
      `global(workDirectory="${temp.dir}")
module(load="imfile" mode="polling" PollingInterval="1")
module(load="omelasticsearch")
template(name="doc" type="list" option.jsonf="on") {
  property(outname="message" name="msg" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
}
ruleset(name="ship") {
  action(type="omelasticsearch" server="127.0.0.1" serverport="${port}" usehttps="off" uid="elastic" pwd="${key}"
         searchIndex="tftsr-${issue.id}" esVersion.major="8" template="doc" bulkmode="on"
         errorFile="${join(temp.dir, 'es-errors.json')}" action.resumeRetryCount="-1" action.resumeInterval="1")
}
input(type="imfile" File="${logFile}" Tag="app" ruleset="ship" freshStartTail="off")
`,
    );
    rsyslog = spawn('rsyslogd', ['-n', '-f', config, '-i', join(temp.dir, 'rsyslog.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    rsyslog.stdout?.on('data', (d: Buffer) => (rsyslogOutput += d.toString()));
    rsyslog.stderr?.on('data', (d: Buffer) => (rsyslogOutput += d.toString()));

    const lines = [`user ${EMAIL} logged in`, `exported aws_access_key_id=${AWS_KEY}`, 'job finished in 12 ms'];
    appendFileSync(logFile, `${lines.join('\n')}\n`);

    const { text, types, chunks } = await closedRedactedText(api, worker, issue.id, 3).catch((err) => {
      const errors = join(temp.dir, 'es-errors.json');
      throw new Error(`${(err as Error).message}\nrsyslog: ${rsyslogOutput}\n${existsSync(errors) ? readFileSync(errors, 'utf8') : ''}`);
    });
    expect(chunks.reduce((n, c) => n + c.lines, 0)).toBe(3);
    expect(types).toEqual(expect.arrayContaining(['Email', 'AwsAccessKey']));
    expect(text).toContain('job finished in 12 ms');
    for (const secret of [EMAIL, AWS_KEY]) expect(text).not.toContain(secret);
  });
});
