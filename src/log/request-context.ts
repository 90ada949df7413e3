/**
 * The request a piece of work belongs to, so that every log line can name it. Its id travels on the
 * response (`res.locals.requestId`, set first of all by requestLogging), and the code that logs while
 * answering hands it to the logger: explicitly where the response is at hand, through
 * `requestLogger` where a use case logs. Not AsyncLocalStorage: on Node 20 its hooks run on every
 * promise the process makes, and json-rules-engine makes hundreds an evaluation (an evaluation was
 * 1.2-1.4x slower inside one).
 */
import type { Logger } from './logger.js';

/** What of an Express response this needs: its locals. */
export interface WithLocals {
  locals: Record<string, unknown>;
}

export const setRequestId = (res: WithLocals, requestId: string): void => {
  res.locals.requestId = requestId;
};

export const requestIdOf = (res: WithLocals): string | undefined => res.locals.requestId as string | undefined;

/** The logger for work done on behalf of one request: each of its lines names the request. */
export function requestLogger(logger: Logger, res: WithLocals): Logger {
  const requestId = requestIdOf(res);
  return requestId === undefined ? logger : logger.child({ requestId });
}
