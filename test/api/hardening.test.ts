/**
 * Hardening: security headers on every answer, rate limits per caller and per address (429 with
 * Retry-After, in the documented error shape), server timeouts that cut slow clients, and bodies that
 * are refused before any code walks them.
 */
import { expect } from 'chai';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { httpServer } from '../../src/http/server.js';
import { ERRORS } from '../../src/domain/error-catalogue.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { capturingLogger, testApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Writes the bytes to a fresh connection (then `more` every 200 ms, if given) and reads until the server closes it. */
async function rawAnswer(port: number, bytes: string, more?: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.on('error', () => undefined);
  socket.write(bytes);
  const timer = more === undefined ? undefined : setInterval(() => socket.writable && socket.write(more), 200);
  await once(socket, 'close');
  clearInterval(timer);
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

describe('hardening', function () {
  this.timeout(30_000);

  it("takes a caller's X-Request-Id only when it is a UUID, and never logs any other", async () => {
    const t = await testApp();
    const offered = ['Jane-Smith-1958', 'req-1234', '943 476 5919', `req-${'0'.repeat(60)}`, '5f0c9a3e1b2d4c5e8f70123456789abc'];
    for (const id of offered) {
      const res = await t.clinician.get('/api/v1/rulesets').set('X-Request-Id', id);
      expect(res.status).to.equal(200);
      expect(res.headers['x-request-id'], id).to.match(UUID);
    }
    const uuid = await t.clinician.get('/api/v1/rulesets').set('X-Request-Id', '5F0C9A3E-1B2D-4C5E-8F70-123456789ABC');
    expect(uuid.headers['x-request-id']).to.equal('5f0c9a3e-1b2d-4c5e-8f70-123456789abc');
    const logged = t.logLines.join('\n');
    expect(logged).to.include('5f0c9a3e-1b2d-4c5e-8f70-123456789abc');
    for (const id of offered) expect(logged, id).to.not.include(id);
    expect(logged).to.not.include('Jane');
  });

  it('sends security headers on every answer, open or not, success or error', async () => {
    const t = await testApp();
    for (const res of [await t.anonymous.get('/healthz'), await t.anonymous.get('/api/v1/rulesets'), await t.clinician.get('/api/v1/rulesets')]) {
      expect(res.headers).to.include({
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect(res.headers['strict-transport-security']).to.match(/^max-age=\d+/);
      expect(res.headers).to.not.have.property('x-powered-by');
    }
    const api = await t.clinician.get('/api/v1/rulesets');
    expect(api.headers['cache-control'], 'answers of the API are never cached').to.equal('no-store');
  });

  it('limits each caller: beyond the limit, 429 RATE_LIMITED with Retry-After; another caller is not affected', async () => {
    const t = await testApp({ rateLimits: { perAddress: 1000, perCaller: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) expect((await t.clinician.get('/api/v1/rulesets')).status).to.equal(200);
    const limited = await t.clinician.get('/api/v1/rulesets');
    expectError(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).to.be.within(1, 60);
    expect(limited.headers.ratelimit).to.match(/r=0/);
    expect((await t.lead.get('/api/v1/rulesets')).status, 'another token has its own allowance').to.equal(200);
  });

  it('limits each address before authentication, so that guessing tokens is limited too', async () => {
    const t = await testApp({ rateLimits: { perAddress: 3, perCaller: 1000, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) expectError(await t.anonymous.get('/api/v1/rulesets').set('Authorization', `Bearer msk_${'x'.repeat(43)}`), 401, 'TOKEN_INVALID');
    const limited = await t.clinician.get('/api/v1/rulesets');
    expectError(limited, 429, 'RATE_LIMITED');
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
    expect((await t.anonymous.get('/healthz')).status, 'health checks are never limited').to.equal(200);
  });

  it('refuses a body nested too deep before any code walks it, and a too-large one by its size', async () => {
    const t = await testApp();
    const gp = await t.gpOf('J82001');
    const deep = `{"notes":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectError(await gp.post('/api/v1/referrals').set('Content-Type', 'application/json').send(deep), 400, 'JSON_TOO_DEEP');
    expectError(await gp.post('/api/v1/referrals').send({ ...aReferral(), notes: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await gp.post('/api/v1/referrals').set('Content-Type', 'text/plain').send(JSON.stringify(aReferral())), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('cuts a client that sends its headers too slowly (slow loris): 408 and the connection closed', async () => {
    const { app } = await testApp();
    const server = httpServer(app, { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      await once(socket, 'connect');
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const started = Date.now();
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 200); // never finishes its headers
      await once(socket, 'close');
      clearInterval(timer);
      expect(answer).to.match(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).to.be.below(5_000);
    } finally {
      server.close();
    }
  });

  it("answers what Node's HTTP parser refuses itself in the documented error shape, with a request id its log line carries: 400, 408 and 431", async () => {
    const { app } = await testApp();
    const { logger, lines } = capturingLogger();
    const server = httpServer(app, { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000 }, logger);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    try {
      const cases = [
        { label: 'a request line that is not HTTP', bytes: 'GET /healthz HTTP/1.1 nonsense\r\nHost: x\r\n\r\n', status: 400, code: 'HTTP_MALFORMED' },
        { label: 'a space in the address', bytes: 'GET /api/v1/referrals/a b HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, code: 'HTTP_MALFORMED' },
        { label: 'a header with a bare LF in it', bytes: 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\nSet-Cookie: a=1\r\n\r\n', status: 400, code: 'HTTP_MALFORMED' },
        { label: 'headers over 16 KiB', bytes: `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'r'.repeat(17 * 1024)}\r\n\r\n`, status: 431, code: 'HEADERS_TOO_LARGE' },
        { label: 'headers that never end', bytes: 'GET /healthz HTTP/1.1\r\nHost: x\r\n', more: 'X-Slow: 1\r\n', status: 408, code: 'REQUEST_TIMEOUT' },
      ] as const;
      for (const c of cases) {
        const answer = await rawAnswer(port, c.bytes, 'more' in c ? c.more : undefined);
        expect(answer.status, c.label).to.equal(c.status);
        expect(answer.headers['content-type'], c.label).to.match(/^application\/json/);
        expect(answer.headers['x-request-id'], c.label).to.match(UUID);
        expect(answer.headers['cache-control'], c.label).to.equal('no-store');
        expect(JSON.parse(answer.body), c.label).to.deep.equal({ error: { code: c.code, message: ERRORS[c.code].message, requestId: answer.headers['x-request-id'] } });
        const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.requestId === answer.headers['x-request-id']);
        expect(logged.map((line) => [line.event, line.errorCode, line.status]), c.label).to.deep.equal([['http.protocol-error', c.code, c.status]]);
      }
      expect(lines.join('\n'), 'nothing the client sent is logged').to.not.match(/rrrrrrrr|nonsense|Set-Cookie/);
    } finally {
      server.close();
    }
  });

  it('answers a body that arrives too slowly with 408 REQUEST_TIMEOUT in the error shape, although the app had begun to read it', async () => {
    const t = await testApp();
    const server = httpServer(t.app, { requestTimeoutMs: 1_000, headersTimeoutMs: 500, keepAliveTimeoutMs: 500 });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const head = `POST /api/v1/triage HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.clinician.token ?? ''}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"a":`;
      const answer = await rawAnswer((server.address() as AddressInfo).port, head, ' ');
      expect(answer.status).to.equal(408);
      expect(JSON.parse(answer.body)).to.deep.equal({ error: { code: 'REQUEST_TIMEOUT', message: ERRORS.REQUEST_TIMEOUT.message, requestId: answer.headers['x-request-id'] } });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('reads no rule set outside the rules folder: a version that is a path is simply not found', async () => {
    const t = await testApp();
    for (const version of ['..%2F..%2F..%2Ftmp%2Fmsk-triage%2F9.9.9', '..%2F1.0.0', '1.0.0%2F..%2F1.1.0']) {
      expectError(await t.lead.post(`/api/v1/rulesets/msk-triage/versions/${version}/simulate`).send({}), 404, 'RULESET_VERSION_NOT_FOUND');
    }
  });

  it('leaves Object.prototype untouched by prototype-pollution payloads, and refuses them', async () => {
    const t = await testApp();
    const gp = await t.gpOf('J82001');
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    for (const payload of [
      `{"__proto__":{"polluted":true},"patient":{}}`,
      `{"constructor":{"prototype":{"polluted":true}}}`,
      JSON.stringify(aReferral()).replace('"patient":{', '"patient":{"__proto__":{"polluted":true},'),
    ]) {
      const res = await gp.post('/api/v1/referrals').set('Content-Type', 'application/json').send(payload);
      expectError(res, 400, 'REFERRAL_INVALID');
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).to.deep.equal(before);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });
});
