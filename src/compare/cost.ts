// What a target costs per scenario and per month, from its prices and what this run measured:
// token prices times the tokens each call used (a hosted API), or the GPU's hourly price times the
// GPU time each call took (self-hosted). For a pair, the monthly volume at which the two cost the same.
import { mean } from 'simple-statistics';
import { z } from 'zod';
import type { TargetCost } from '../config/schema.js';
import type { Sample } from '../run/sample.js';

export const targetCostSchema = z.object({
  currency: z.string(),
  basis: z.enum(['tokens', 'gpu-hours']),
  /** Cost of one scenario call, and of 1,000. */
  perCall: z.number(),
  per1000: z.number(),
  /** Self-hosted: what the GPU costs a month, used or not; and how many calls a month it can serve at the measured speed. */
  monthlyFixed: z.number().nullable(),
  monthlyCapacity: z.number().nullable(),
  /** How the figure was made, in words (token counts, GPU seconds per call, what was missing). */
  detail: z.string(),
});
export type TargetCostReport = z.infer<typeof targetCostSchema>;

const meanOrNull = (values: readonly number[]) => (values.length === 0 ? null : mean(values));
const money = (value: number) => Math.round(value * 1e6) / 1e6;

/** Amounts as people read them: cents from 1 up, four significant digits below. */
export const formatMoney = (value: number, currency: string) =>
  `${value >= 1 ? value.toFixed(2) : Number(value.toPrecision(4)).toString()} ${currency}`;

export function targetCost(
  cost: TargetCost,
  samples: readonly Sample[],
  latencyConcurrency: number,
): TargetCostReport | null {
  const answered = samples.filter((sample) => sample.phase === 'warm' && !sample.retried && sample.errorClass === null);
  if (answered.length === 0) return null;
  if (cost.gpuPerHour !== undefined) {
    // At latency-concurrency c, c calls share the GPU: each holds it for its latency over c.
    const latencyMs = meanOrNull(answered.filter((sample) => sample.timed).map((sample) => sample.latencyMs));
    if (latencyMs === null) return null;
    const gpuSeconds = latencyMs / 1000 / latencyConcurrency;
    const perCall = (cost.gpuPerHour * gpuSeconds) / 3600;
    return {
      currency: cost.currency,
      basis: 'gpu-hours',
      perCall: money(perCall),
      per1000: money(perCall * 1000),
      monthlyFixed: money(cost.gpuPerHour * cost.hoursPerMonth),
      monthlyCapacity: Math.floor((cost.hoursPerMonth * 3600) / gpuSeconds),
      detail: `${cost.gpuPerHour} ${cost.currency}/GPU-hour × ${gpuSeconds.toFixed(3)} GPU-seconds a call (mean warm latency ${Math.round(latencyMs)} ms at concurrency ${latencyConcurrency}); ${cost.hoursPerMonth} h a month`,
    };
  }
  const inputTokens = meanOrNull(
    answered.map((sample) => sample.inputTokens).filter((value): value is number => value !== null),
  );
  const outputTokens = meanOrNull(
    answered.map((sample) => sample.outputTokens).filter((value): value is number => value !== null),
  );
  const perCall =
    ((inputTokens ?? 0) * (cost.inputPerMillion ?? 0) + (outputTokens ?? 0) * (cost.outputPerMillion ?? 0)) / 1e6;
  const missing = [
    cost.inputPerMillion !== undefined && inputTokens === null ? 'input' : null,
    cost.outputPerMillion !== undefined && outputTokens === null ? 'output' : null,
  ].filter(Boolean);
  return {
    currency: cost.currency,
    basis: 'tokens',
    perCall: money(perCall),
    per1000: money(perCall * 1000),
    monthlyFixed: null,
    monthlyCapacity: null,
    detail: `${inputTokens === null ? '?' : Math.round(inputTokens)} input and ${outputTokens === null ? '?' : Math.round(outputTokens)} output tokens a call at ${cost.inputPerMillion ?? 0} and ${cost.outputPerMillion ?? 0} ${cost.currency} per million${missing.length ? `; the server reported no ${missing.join(' or ')} token counts, so those are left out` : ''}`,
  };
}

export const breakEvenSchema = z.object({
  /** Scenarios a month above which the self-hosted side is the cheaper one. */
  scenariosPerMonth: z.number().nullable(),
  selfHosted: z.string().nullable(),
  reason: z.string(),
});
export type BreakEven = z.infer<typeof breakEvenSchema>;

/** A self-hosted GPU costs the same every month; a per-token API costs per call: they cost the same at fixed ÷ per-call. */
export function breakEven(
  a: { name: string; cost: TargetCostReport | null },
  b: { name: string; cost: TargetCostReport | null },
): BreakEven {
  if (!a.cost || !b.cost)
    return { scenariosPerMonth: null, selfHosted: null, reason: 'give both targets a cost to compare what they cost' };
  if (a.cost.currency !== b.cost.currency)
    return {
      scenariosPerMonth: null,
      selfHosted: null,
      reason: `the two costs are in different currencies (${a.cost.currency}, ${b.cost.currency})`,
    };
  const gpu = a.cost.basis === 'gpu-hours' ? a : b.cost.basis === 'gpu-hours' ? b : null;
  const api = gpu === a ? b : a;
  if (!gpu || api.cost!.basis !== 'tokens')
    return {
      scenariosPerMonth: null,
      selfHosted: null,
      reason: 'a break-even volume needs one self-hosted target (gpu-per-hour) and one priced per token',
    };
  if (api.cost!.perCall <= 0)
    return {
      scenariosPerMonth: null,
      selfHosted: gpu.name,
      reason: `${api.name} costs nothing a call, so ${gpu.name} never breaks even`,
    };
  const volume = Math.ceil(gpu.cost!.monthlyFixed! / api.cost!.perCall);
  const capacity = gpu.cost!.monthlyCapacity!;
  const within =
    volume <= capacity
      ? `within what one GPU serves at the measured speed (${capacity.toLocaleString('en-US')} a month)`
      : `beyond what one GPU serves at the measured speed (${capacity.toLocaleString('en-US')} a month), so more GPUs would be needed first`;
  return {
    scenariosPerMonth: volume,
    selfHosted: gpu.name,
    reason: `${gpu.name} (${formatMoney(gpu.cost!.monthlyFixed!, gpu.cost!.currency)} a month) costs less than ${api.name} (${formatMoney(api.cost!.per1000, api.cost!.currency)} per 1,000 scenarios) above ${volume.toLocaleString('en-US')} scenarios a month, ${within}`,
  };
}
