// Which scenarios a shard runs: a stable, balanced slice. Balanced by expected cost — each
// scenario's mean warm latency in the baseline when there is one, else the size of what it sends —
// because slides with dense text take several times longer than a short command, and equal counts
// would leave one shard running long after the others. Longest first onto the least-loaded shard
// (LPT): deterministic for a given suite and baseline, so every matrix job computes the same split.
import { mean } from 'simple-statistics';
import type { BaselineRun } from '../gate/baseline.js';
import type { Scenario } from '../suite/schema.js';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

/** Each scenario's expected cost: baseline latency where every scenario has one, else the bytes it sends. */
export function expectedCosts(scenarios: readonly Scenario[], baseline: BaselineRun | undefined): Map<string, number> {
  const measured = baseline ? scenarios.map((scenario) => baseline.warmLatencyMs[scenario.id] ?? []) : [];
  if (baseline && measured.every((values) => values.length > 0))
    return new Map(scenarios.map((scenario, index) => [scenario.id, mean(measured[index]!)]));
  return new Map(
    scenarios.map((scenario) => [
      scenario.id,
      (scenario.image?.bytes.length ?? 0) + (scenario.prompt?.length ?? 0) * 4 + 4096,
    ]),
  );
}

/** The scenarios of every shard, in suite order within each. */
export function shardSlices(
  scenarios: readonly Scenario[],
  count: number,
  costs: ReadonlyMap<string, number>,
): Scenario[][] {
  const order = scenarios.map((scenario, position) => ({ scenario, position, cost: costs.get(scenario.id) ?? 0 }));
  order.sort((a, b) => b.cost - a.cost || a.position - b.position);
  const loads = Array.from({ length: count }, () => 0);
  const slices: { scenario: Scenario; position: number }[][] = Array.from({ length: count }, () => []);
  for (const entry of order) {
    let lightest = 0;
    for (let shard = 1; shard < count; shard += 1) if (loads[shard]! < loads[lightest]!) lightest = shard;
    loads[lightest]! += entry.cost;
    slices[lightest]!.push(entry);
  }
  return slices.map((slice) => slice.sort((a, b) => a.position - b.position).map((entry) => entry.scenario));
}

export function parseShard(text: string): ShardSpec | null {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) return null;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && count <= 256 && index >= 1 && index <= count ? { index, count } : null;
}
