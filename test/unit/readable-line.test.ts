import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { createLogger, logFormatFor, type LogFormat } from '../../src/log/logger.js';
import { databaseLocation, postgresServer } from '../../src/store/database-location.js';

/** A logger of that format whose every line is kept. */
function capture(format: LogFormat) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', silent: true, format });
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8').trimEnd());
      done();
    },
  });
  logger.add(new winston.transports.Stream({ stream }));
  return { logger, lines };
}

const TIME = /^\d{2}:\d{2}:\d{2}\.\d{3} /;

describe('logs a person can read', () => {
  it('writes JSON lines anywhere but a terminal, readable lines on one, and what LOG_FORMAT forces', () => {
    expect(logFormatFor('auto', false)).to.equal('json');
    expect(logFormatFor('auto', true)).to.equal('pretty');
    expect(logFormatFor('json', true)).to.equal('json');
    expect(logFormatFor('pretty', false)).to.equal('pretty');
  });

  it('writes one line an event: the time, the level, the event, what it says, then its fields', () => {
    const { logger, lines } = capture('pretty');
    logger.info('rule set loaded', { event: 'startup.ruleset-loaded', rulesetId: 'msk-triage', activeVersion: '2.0.0', versions: ['1.0.0', '2.0.0'] });
    logger.warn('authentication failed', { event: 'auth.failed', reason: 'revoked', requestId: 'req-1', via: 'token' });
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(TIME);
    expect(lines[0]?.replace(TIME, '')).to.equal('INFO  startup.ruleset-loaded  rule set loaded  rulesetId=msk-triage activeVersion=2.0.0 versions=["1.0.0","2.0.0"]');
    // the request id last: long, and read only to look a request up
    expect(lines[1]?.replace(TIME, '')).to.equal('WARN  auth.failed  authentication failed  reason=revoked via=token requestId=req-1');
  });

  it('says a request as method, route, status and time, and quotes a value with a space', () => {
    const { logger, lines } = capture('pretty');
    logger.info('request', { event: 'http.request', requestId: 'r-2', method: 'POST', route: '/api/v1/triage', status: 200, durationMs: 3.14159, role: 'gp', errorCode: undefined, note: 'two words' });
    expect(lines[0]?.replace(TIME, '')).to.equal('INFO  http.request  POST /api/v1/triage 200 in 3.1 ms  role=gp note="two words" requestId=r-2');
  });

  it('redacts a readable line as it redacts a JSON line', () => {
    const { logger, lines } = capture('pretty');
    logger.info('slipped', { event: 'test.slip', value: 'nhs 943 476 5919 born 1958-03-14' });
    expect(lines[0]).to.contain('[REDACTED-NHS]').and.contain('[REDACTED-DATE]').and.not.contain('5919').and.not.contain('1958');
  });

  it('keeps JSON lines as they were', () => {
    const { logger, lines } = capture('json');
    logger.info('request', { event: 'http.request', status: 200 });
    expect(JSON.parse(lines[0] as string)).to.deep.include({ level: 'info', message: 'request', event: 'http.request', status: 200 });
  });

  it('says startup.ready as its sentence, without repeating the fields the sentence gives', () => {
    const { logger, lines } = capture('pretty');
    logger.info('ready: open http://127.0.0.1:3000/ · rule set msk-triage 2.0.0 · database embedded, in /srv/msk/data/pglite', {
      event: 'startup.ready', url: 'http://127.0.0.1:3000/', rulesetId: 'msk-triage', rulesetVersion: '2.0.0', database: 'embedded', dataDir: '/srv/msk/data/pglite', socketPath: '/srv/msk/data/pglite/.s.PGSQL.5432', pid: 42,
    });
    expect(lines[0]?.replace(TIME, '')).to.equal('INFO  startup.ready  ready: open http://127.0.0.1:3000/ · rule set msk-triage 2.0.0 · database embedded, in /srv/msk/data/pglite  socketPath=/srv/msk/data/pglite/.s.PGSQL.5432 pid=42');
  });
});

describe('where the data lives, said without secrets', () => {
  const URLS = [
    'postgresql://msk:s3cret-Pa55@db.example:5432/msk_triage',
    'postgres://msk:s3cret-Pa55@db.example/msk_triage?sslmode=require&password=s3cret-Pa55',
    'postgresql://msk:s3cret-Pa55@[2001:db8::1]:6432/msk_triage',
    'postgresql:///msk_triage?host=/var/run/postgresql&user=msk&password=s3cret-Pa55',
  ];

  it('names the PostgreSQL server by host, port and database, never its user or password', () => {
    expect(URLS.map(postgresServer)).to.deep.equal(['db.example:5432/msk_triage', 'db.example:5432/msk_triage', '[2001:db8::1]:6432/msk_triage', '/var/run/postgresql:5432/msk_triage']);
    for (const url of URLS) {
      const said = JSON.stringify(databaseLocation({ databaseUrl: url, dataDir: 'data' }));
      expect(said, url).to.not.contain('s3cret').and.not.contain('msk:').and.not.contain('user=');
    }
    expect(postgresServer('postgresql://msk:s3cret@[db.example/msk')).to.equal('(an unreadable DATABASE_URL)');
  });

  it('names the embedded database by its folder, made absolute, and the socket the commands use', () => {
    expect(databaseLocation({ databaseUrl: undefined, dataDir: '/srv/msk/data' }, '/srv/msk/data/pglite/.s.PGSQL.5432')).to.deep.equal({
      database: 'embedded',
      dataDir: '/srv/msk/data/pglite',
      socketPath: '/srv/msk/data/pglite/.s.PGSQL.5432',
      text: 'embedded, in /srv/msk/data/pglite',
    });
    expect(databaseLocation({ databaseUrl: undefined, dataDir: 'data' }).dataDir).to.equal(`${process.cwd()}/data/pglite`);
  });

  it('never lets the password into the log, whatever the format', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { logger, lines } = capture(format);
      const { text, ...location } = databaseLocation({ databaseUrl: URLS[0], dataDir: 'data' });
      logger.info(`ready: database ${text}`, { event: 'startup.ready', ...location });
      expect(lines.join('\n'), format).to.contain('db.example:5432/msk_triage').and.not.contain('s3cret');
    }
  });
});
