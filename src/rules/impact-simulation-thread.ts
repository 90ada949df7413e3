/** The body of a simulation worker thread: compile the two versions it is given, tally its share, send it back. */
import { parentPort, workerData } from 'node:worker_threads';
import type { RuleSet } from '../generated/ruleset.js';
import { CompiledRuleSet } from './compiled-rule-set.js';
import { tallyItems, type SimulationItem, type SimulationRequest } from './impact-simulation.js';

const { request, documents, items } = workerData as { request: SimulationRequest; documents: { from: RuleSet; to: RuleSet }; items: SimulationItem[] };

parentPort?.postMessage(tallyItems(items, new CompiledRuleSet(documents.from), new CompiledRuleSet(documents.to), request.evaluationDate));
