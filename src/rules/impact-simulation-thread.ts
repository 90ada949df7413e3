/** The body of a simulation worker thread: compile the two versions, tally its share, send it back. */
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { tallyItems, type SimulationItem, type SimulationRequest } from './impact-simulation.js';
import { inspectVersion } from './rule-set-loader.js';

const { request, items } = workerData as { request: SimulationRequest; items: SimulationItem[] };

async function compiled(version: string) {
  const inspection = await inspectVersion(path.join(request.rulesDir, request.ruleset, version));
  if (!inspection.compiled) throw new Error(`${request.ruleset} ${version} cannot be compiled`);
  return inspection.compiled;
}

parentPort?.postMessage(await tallyItems(items, await compiled(request.from), await compiled(request.to), request.evaluationDate));
