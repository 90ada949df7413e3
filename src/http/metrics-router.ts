/**
 * GET /metrics: the Prometheus text. On the service's own port it is behind authentication and the
 * access policy (an `operator` token only); on the metrics listener (METRICS_PORT) it is open, and
 * that listener serves nothing else: it is meant for a private network that only Prometheus reaches.
 */
import express, { Router, type Express, type RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';
import { errorHandler, methodNotAllowed, notFound } from './error-handler.js';
import { securityHeaders } from './hardening.js';
import { knownQueryOnly, strictQuery } from './query-parameters.js';
import { routeTemplate } from './request-logging.js';
import type { ServiceMetrics } from './service-metrics.js';

export function metricsRouter(metrics: ServiceMetrics, guard: readonly RequestHandler[]): Router {
  const router = Router();
  router
    .route('/metrics')
    .all(...guard)
    .get(async (_req, res) => {
      const { contentType, text } = await metrics.scrape();
      res.set({ 'Content-Type': contentType, 'Cache-Control': 'no-store' }).send(text);
    })
    .all(methodNotAllowed(['GET']));
  return router;
}

/** The app of the metrics listener: /metrics to anyone who can reach it, 404 for anything else. */
export function metricsApp(metrics: ServiceMetrics, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.set('query parser', strictQuery);
  app.use(metricsRouter(metrics, [routeTemplate, knownQueryOnly]));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
