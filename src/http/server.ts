/**
 * The HTTP server, with its timeouts set on purpose rather than left at Node's defaults (a request
 * may take 300 s, headers 60 s): a client that sends its headers or its body too slowly is answered
 * 408 and disconnected, and the check for such clients runs every second, not every 30 s, so that a
 * slow-loris attack cannot hold connections for long.
 *
 * What Node answers itself, before any of our code sees a request (a request line or header that is
 * not HTTP, headers over the limit, a request too slow), is answered here in the documented error
 * shape, with a request id of its own that the log line carries: Node's `clientError` event, written
 * as a raw HTTP response, then the connection closed.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Config } from '../config.js';
import { ApiError, type ErrorCode } from '../domain/error-catalogue.js';
import type { Logger } from '../log/logger.js';
import { errorBody } from './error-handler.js';
import { httpStatus } from './error-status.js';

export type ServerTimeouts = Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'>;

/** Node's error codes for what it refuses itself (lib/_http_server.js), and the catalogue's codes for them; any other parser error is 400. */
const PROTOCOL_ERRORS: Readonly<Record<string, ErrorCode>> = {
  HPE_HEADER_OVERFLOW: 'HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'PAYLOAD_TOO_LARGE',
};

/** The raw answer: the error shape, its request id, and the headers every answer carries that matter without a body to render. */
export function protocolErrorResponse(code: ErrorCode, requestId: string): string {
  const error = new ApiError(code);
  const status = httpStatus(error);
  const body = JSON.stringify(errorBody(error, requestId));
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
    "Content-Security-Policy: default-src 'none'",
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

function answerProtocolErrors(logger: Logger | undefined) {
  return (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node does: nothing is written once the client has gone, or once an answer has begun (it would corrupt it).
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const code = PROTOCOL_ERRORS[error.code ?? ''] ?? 'HTTP_MALFORMED';
    const requestId = randomUUID();
    // Never the bytes received (error.rawPacket): they are the client's, headers and all.
    logger?.info('request refused by the HTTP parser', { event: 'http.protocol-error', requestId, status: httpStatus(new ApiError(code)), errorCode: code });
    socket.end(protocolErrorResponse(code, requestId), () => socket.destroy());
  };
}

export function httpServer(app: Express, timeouts: ServerTimeouts, logger?: Logger): Server {
  const server = createServer(
    {
      requestTimeout: timeouts.requestTimeoutMs,
      // Node requires headersTimeout ≤ requestTimeout.
      headersTimeout: Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs),
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
      // Header bytes beyond this are 431, before any of our code runs.
      maxHeaderSize: 16 * 1024,
    },
    app,
  );
  server.on('clientError', answerProtocolErrors(logger));
  return server;
}
