/**
 * Overload and limits without casualties: beyond what the service admits at once it answers 503
 * SERVICE_OVERLOADED with Retry-After at once, before the database, while /healthz never waits; a
 * body past the limit is refused as soon as it passes it (chunked) or at once (a declared length),
 * never read on; and while the service drains, every answer closes its connection.
 */
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Admission } from '../../src/http/admission.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { aReferral } from '../support/referral-factory.js';
import { capturingLogger, testApp } from '../support/test-app.js';

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; ms: number }

function listen(app: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(app);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/** A POST whose body keeps coming for up to `seconds` (chunked), or declares `declaredLength`. */
function streamingPost(port: number, token: string, options: { seconds?: number; declaredLength?: number }): Promise<Answer & { sent: number }> {
  const started = Date.now();
  let sent = 0;
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    if (options.declaredLength !== undefined) headers['content-length'] = options.declaredLength;
    else headers['transfer-encoding'] = 'chunked';
    const req = http.request({ port, host: '127.0.0.1', method: 'POST', path: '/api/v1/triage', headers });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started, sent }));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pump = () => {
      while (!answered && Date.now() - started < (options.seconds ?? 0) * 1000) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered && options.declaredLength === undefined) req.end();
    };
    if (options.declaredLength === undefined) pump();
    else req.write('{"referral": ');
  });
}

describe('overload and limits', function () {
  this.timeout(30_000);

  it('answers 413 as soon as a chunked body passes the limit, and reads no further', async () => {
    const t = await testApp();
    const { server, port } = await listen(t.app);
    try {
      const answer = await streamingPost(port, t.clinician.token ?? '', { seconds: 10 });
      expect(answer.status).to.equal(413);
      expect(JSON.parse(answer.body).error.code).to.equal('PAYLOAD_TOO_LARGE');
      expect(answer.headers.connection).to.equal('close');
      expect(answer.ms, 'answered at once, not after a timeout').to.be.below(5_000);
      expect(answer.sent, 'the client was stopped soon after the limit (64 KiB here)').to.be.below(16 * 1024 * 1024);
    } finally {
      server.close();
    }
  });

  it('refuses a declared Content-Length above the limit at once, without reading', async () => {
    const t = await testApp();
    const { server, port } = await listen(t.app);
    try {
      const answer = await streamingPost(port, t.clinician.token ?? '', { declaredLength: 1024 * 1024 * 1024 });
      expect(answer.status).to.equal(413);
      expect(answer.headers.connection).to.equal('close');
    } finally {
      server.close();
    }
  });

  it('admits so many at once, lets a few wait their turn for a while, and answers the rest 503 SERVICE_OVERLOADED with Retry-After at once', async () => {
    const admission = new Admission({ maxInFlight: 2, maxQueued: 1, maxWaitMs: 300 });
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const app = express();
    app.use(admission.middleware());
    app.get('/work', (_req, res, next) => void gate.then(() => res.send('done'), next));
    app.use(errorHandler(capturingLogger().logger));
    const { server, port } = await listen(app);
    try {
      const get = () => fetch(`http://127.0.0.1:${port}/work`).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() }));
      const working = [get(), get()];
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(admission.load).to.deep.equal({ inFlight: 2, queued: 0 });
      const waiting = get();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(admission.load).to.deep.equal({ inFlight: 2, queued: 1 });
      const started = Date.now();
      const refused = await get(); // the queue is full: refused at once
      expect(Date.now() - started).to.be.below(250);
      expect(refused.status).to.equal(503);
      expect(refused.retryAfter).to.equal('1');
      expect(JSON.parse(refused.text).error).to.include({ code: 'SERVICE_OVERLOADED' });
      const timedOut = await waiting; // waited its 300 ms, then refused
      expect(timedOut.status).to.equal(503);
      release();
      expect((await Promise.all(working)).map((a) => a.status)).to.deep.equal([200, 200]);
      expect(admission.load).to.deep.equal({ inFlight: 0, queued: 0 });
    } finally {
      server.close();
    }
  });

  it('mounts admission before authentication under /api/v1 only: when full, the API answers 503 at once and /healthz answers', async () => {
    const admission = new Admission({ maxInFlight: 1, maxQueued: 0, maxWaitMs: 0 });
    // One request that never finishes holds the only place.
    await admission.middleware()({} as express.Request, { once: () => undefined } as unknown as express.Response, () => undefined);
    expect(admission.load).to.deep.equal({ inFlight: 1, queued: 0 });
    const t = await testApp({ admission });
    const refused = await t.anonymous.post('/api/v1/triage').send(aReferral());
    expect(refused.status, 'refused before authentication: no token was asked for').to.equal(503);
    expect(refused.body.error.code).to.equal('SERVICE_OVERLOADED');
    expect(refused.headers['retry-after']).to.equal('1');
    expect((await t.anonymous.get('/healthz')).status).to.equal(200);
    expect((await t.anonymous.get('/readyz')).status).to.equal(200);
  });

  it('while draining, every answer says Connection: close', async () => {
    const readiness = { shuttingDown: false };
    const t = await testApp({ readiness });
    const { server, port } = await listen(t.app);
    const agent = new http.Agent({ keepAlive: true });
    const connectionHeader = () => new Promise<string | undefined>((resolve) => http.get({ port, host: '127.0.0.1', path: '/healthz', agent }, (res) => (res.resume(), resolve(res.headers.connection))));
    try {
      expect(await connectionHeader()).to.equal('keep-alive');
      readiness.shuttingDown = true;
      expect(await connectionHeader()).to.equal('close');
    } finally {
      agent.destroy();
      server.close();
    }
  });
});
