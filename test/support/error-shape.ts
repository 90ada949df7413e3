/** The documented error shape (http-api.md), asserted on every error answer. */
import { expect } from 'chai';
import type { Response } from 'supertest';
import { ERRORS } from '../../src/domain/error-catalogue.js';

export function expectError(res: Response, status: number, code: keyof typeof ERRORS): void {
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/json/);
  expect(Object.keys(res.body as object)).to.deep.equal(['error']);
  const error = (res.body as { error: Record<string, unknown> }).error;
  expect(error.code).to.equal(code);
  expect(error.message).to.equal(ERRORS[code].message);
  expect(error.requestId).to.be.a('string').and.equal(res.headers['x-request-id']);
  expect(Object.keys(error)).to.satisfy((keys: string[]) => keys.every((k) => ['code', 'message', 'issues', 'requestId'].includes(k)));
  expect(JSON.stringify(error)).to.not.match(/\bat .+\.(ts|js):\d+/); // no stack traces
}

export function issuesOf(res: Response): Array<{ path: string; message: string }> {
  return ((res.body as { error: { issues?: Array<{ path: string; message: string }> } }).error.issues ?? []);
}
