/**
 * Recording a refusal to an authenticated caller: an `auth.denied` log line and an `access.denied`
 * audit event (who, where, why; never patient data).
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { Logger } from '../log/logger.js';
import type { Database } from '../store/database.js';
import type { AccessDenial, DenialSink } from './access-policy.js';

export function accessDenialRecorder(deps: { db: Database; logger: Logger; clock: () => Date }): DenialSink {
  return async (denial: AccessDenial) => {
    const { principal, method, route, reason, referralId, requestId } = denial;
    deps.logger.warn('access denied', { event: 'auth.denied', actor: principal.id, role: principal.role, method, route, reason, requestId });
    await deps.db.transaction((tx) =>
      appendAuditEvents(tx, [{
        id: randomUUID(), referralId: null, type: 'access.denied', actor: principal.id, actorRole: principal.role, occurredAt: deps.clock(), ruleset: null,
        details: { method, route, reason, ...(referralId ? { referralId } : {}) },
      }]),
    );
  };
}
