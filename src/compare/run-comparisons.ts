// Builds the A-versus-B comparisons of a run: for each target with compare-to, its samples paired
// with the reference's, the answers' similarity where an embeddings endpoint is configured, and the
// break-even volume where both sides have a cost.
import type { Plan } from '../config/schema.js';
import { computeMetrics } from '../measure/metrics.js';
import type { TargetRun } from '../run/runner.js';
import type { Suite } from '../suite/schema.js';
import { breakEven, targetCost, type TargetCostReport } from './cost.js';
import { pairSimilarities } from './embeddings.js';
import { compareTargets, type Comparison } from './paired.js';

export const costOf = (run: TargetRun, plan: Plan): TargetCostReport | null =>
  run.target.cost ? targetCost(run.target.cost, run.samples, plan.settings.latencyConcurrency) : null;

export async function runComparisons(
  plan: Plan,
  suite: Suite,
  runs: readonly TargetRun[],
  signal: AbortSignal,
): Promise<Comparison[]> {
  const comparisons: Comparison[] = [];
  for (const targetRun of runs) {
    const referenceName = targetRun.target.compareTo;
    const referenceRun = runs.find((entry) => entry.target.name === referenceName);
    if (!referenceName || !referenceRun || !targetRun.preflight.ok || !referenceRun.preflight.ok) continue;
    let similarity: Parameters<typeof compareTargets>[0]['similarity'];
    if (plan.embeddings && targetRun.answers && referenceRun.answers) {
      const pairs = new Map<string, [string, string]>();
      for (const [key, text] of targetRun.answers) {
        const other = referenceRun.answers.get(key);
        if (other !== undefined) pairs.set(key, [text, other]);
      }
      const measured = await pairSimilarities(plan.embeddings, pairs, plan.settings.timeoutMs, signal);
      similarity = { model: plan.embeddings.model, ...measured };
    }
    const bothCosted = targetRun.target.cost && referenceRun.target.cost;
    comparisons.push(
      compareTargets({
        target: { name: targetRun.target.name, samples: targetRun.samples, metrics: computeMetrics(targetRun.samples) },
        reference: {
          name: referenceRun.target.name,
          samples: referenceRun.samples,
          metrics: computeMetrics(referenceRun.samples),
        },
        scenarios: suite.scenarios,
        ...(similarity ? { similarity } : {}),
        ...(bothCosted
          ? {
              breakEven: breakEven(
                { name: targetRun.target.name, cost: costOf(targetRun, plan) },
                { name: referenceRun.target.name, cost: costOf(referenceRun, plan) },
              ),
            }
          : {}),
      }),
    );
  }
  return comparisons;
}
