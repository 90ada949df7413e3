/** npm run test:crash: the full crash-safety run, 20 SIGKILLs under load; prints its figures. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCrashTest } from './crash-harness.js';

const kills = Number(process.env.CRASH_KILLS ?? 20);
const env: Record<string, string> = process.env.DATABASE_URL
  ? { DATABASE_URL: process.env.DATABASE_URL }
  : { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'msk-crash-')), DATABASE_URL: '' };
console.log(`crash test: ${kills} kills, 8 clients, on ${env.DATABASE_URL ? 'PostgreSQL' : `PGlite in ${env.DATA_DIR ?? ''}`}`);
const started = Date.now();
const report = await runCrashTest({ kills, clients: 8, env, killAfterMs: [400, 2500], log: (line) => console.log(line) });
console.log(JSON.stringify({ ...report, seconds: Math.round((Date.now() - started) / 1000) }, null, 2));
const refused = Object.keys(report.refused).length > 0;
process.exitCode = report.acknowledged > 0 && !refused && report.lost.length === 0 && report.auditOk && report.retriedAnswered === report.cutOff ? 0 : 1;
