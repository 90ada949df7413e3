/**
 * The body of a simulation worker thread: compile the two versions it is given, then either tally
 * the share of referrals it was given and send the tally back, or, given none, tally each page of
 * referrals it is sent (impact-simulation-pages.ts) and answer each with that page's tally.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RuleSet } from '../generated/ruleset.js';
import { CompiledRuleSet } from './compiled-rule-set.js';
import { Tallier, tallyItems, type SimulationItem, type SimulationRequest } from './impact-simulation.js';
import { tallyPage, type ReferralPage } from './impact-simulation-pages.js';

const { request, documents, items } = workerData as { request: SimulationRequest; documents: { from: RuleSet; to: RuleSet }; items?: SimulationItem[] };
const [from, to] = [new CompiledRuleSet(documents.from), new CompiledRuleSet(documents.to)];

if (items) {
  parentPort?.postMessage(tallyItems(items, from, to, request.evaluationDate));
} else {
  const tallier = new Tallier(from, to, request.evaluationDate);
  parentPort?.on('message', (page: ReferralPage) => {
    tallyPage(tallier, page);
    parentPort?.postMessage(tallier.take());
  });
}
