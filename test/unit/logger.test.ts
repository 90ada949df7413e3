import { Writable } from 'node:stream';
import { expect } from 'chai';
import winston from 'winston';
import { createLogger, redactValue } from '../../src/log/logger.js';

describe('the log redaction backstop', () => {
  it('masks NHS-number-like digits, even glued to letters or spaced', () => {
    for (const text of ['9434765919', 'ZZ9434765919', 'nhs_9434765919x', '943 476 5919', '943-476-5919']) {
      expect(redactValue(text), text).to.not.match(/\d{3}.?\d{3}.?\d{4}/);
    }
  });

  it('masks dates, even glued to letters', () => {
    for (const text of ['1958-03-14', 'dob1958-03-14', '14/03/1958', '14.3.58']) {
      expect(redactValue(text), text).to.contain('[REDACTED-DATE]');
    }
  });

  it('leaves longer digit runs, such as ids and hashes, alone', () => {
    expect(redactValue('94347659190')).to.equal('94347659190');
  });

  it('leaves UUIDs whole (request, referral and token ids often hold ten digits in a row), and masks around them', () => {
    const id = 'aada52f6-eb21-4d33-a3d0-1234567890d6';
    expect(redactValue(id)).to.equal(id);
    expect(redactValue(`token:${id}`)).to.equal(`token:${id}`);
    expect(redactValue(`${id} 9434765919 1958-03-14`)).to.equal(`${id} [REDACTED-NHS] [REDACTED-DATE]`);
  });

  it('walks nested values without changing the caller’s object', () => {
    const original = { a: { b: ['9434765919'] } };
    expect(redactValue(original)).to.deep.equal({ a: { b: ['[REDACTED-NHS]'] } });
    expect(original.a.b[0]).to.equal('9434765919');
  });
});

describe('the logger', () => {
  const capture = (loggerLevel: string, transportLevel?: string) => {
    const lines: string[] = [];
    const logger = createLogger({ level: loggerLevel, silent: true });
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8').trimEnd());
        done();
      },
    });
    logger.add(new winston.transports.Stream({ stream, ...(transportLevel ? { level: transportLevel } : {}) }));
    return { logger, lines };
  };

  it('writes a line at or above its level, and none below', () => {
    const { logger, lines } = capture('warn');
    logger.info('request', { event: 'http.request' });
    logger.warn('authentication failed', { event: 'auth.failed', reason: 'unknown' });
    expect(lines.map((line) => (JSON.parse(line) as { event: string }).event)).to.deep.equal(['auth.failed']);
  });

  it('writes a transport the lines of its own level, below the logger’s', () => {
    const { logger, lines } = capture('info', 'debug');
    logger.debug('detail', { event: 'debug.detail' });
    expect(lines.map((line) => (JSON.parse(line) as { event: string }).event)).to.deep.equal(['debug.detail']);
  });
});
