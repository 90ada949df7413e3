/**
 * The pages' CSS, JavaScript, images and manifest, served from the installed nhsuk-frontend under
 * /assets (no CDN: nothing outside this service is ever loaded). nhsuk-frontend's CSS names the
 * Frutiger web fonts on assets.nhs.uk, which the NHS licenses for its own sites only and the package
 * does not ship: those @font-face rules are taken out, so pages use the design system's fallback
 * (Arial) and the browser asks for nothing the Content-Security-Policy would refuse.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { NHSUK_DIST } from './views.js';

const NHSUK = path.join(NHSUK_DIST, 'nhsuk');
const OWN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const A_DAY_S = 86_400;

/** nhsuk-frontend's CSS without the @font-face rules that point outside the service. */
export function nhsukCss(): string {
  return readFileSync(path.join(NHSUK, 'nhsuk-frontend.min.css'), 'utf8').replace(/@font-face\{[^}]*\}/g, '');
}

export function assetsRouter(): Router {
  const router = Router();
  const css = nhsukCss();
  const js = readFileSync(path.join(NHSUK, 'nhsuk-frontend.min.js'), 'utf8').replace(/\/\/# sourceMappingURL=\S+\s*$/, '');
  const cached = (res: express.Response) => res.set('Cache-Control', `public, max-age=${A_DAY_S}`);
  router.get('/assets/nhsuk-frontend.min.css', (_req, res) => {
    cached(res).type('text/css').send(css);
  });
  router.get('/assets/nhsuk-frontend.min.js', (_req, res) => {
    cached(res).type('text/javascript').send(js);
  });
  const files = { fallthrough: false, index: false, redirect: false, maxAge: A_DAY_S * 1000 } as const;
  router.use('/assets/images', express.static(path.join(NHSUK, 'assets', 'images'), files));
  router.get('/assets/manifest.json', (_req, res) => {
    cached(res).sendFile(path.join(NHSUK, 'assets', 'manifest.json'));
  });
  router.use('/assets/app', express.static(OWN, files));
  return router;
}
