/**
 * The HTTP server, with its timeouts set on purpose rather than left at Node's defaults (a request
 * may take 300 s, headers 60 s): a client that sends its headers or its body too slowly is answered
 * 408 and disconnected, and the check for such clients runs every second, not every 30 s, so that a
 * slow-loris attack cannot hold connections for long.
 */
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Config } from '../config.js';

export type ServerTimeouts = Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'>;

export function httpServer(app: Express, timeouts: ServerTimeouts): Server {
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
  return server;
}
