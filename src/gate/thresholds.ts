// Absolute thresholds (floors and ceilings per metric, from the metric catalog) and the run's verdict from them.
import { z } from 'zod';
import type { Thresholds } from '../config/schema.js';
import type { Metrics } from '../measure/metrics.js';
import { METRIC_NAMES, THRESHOLD_NAMES, THRESHOLDS, type MetricName, type ThresholdName } from '../metric-catalog.js';

export const thresholdCheckSchema = z.object({
  target: z.string(),
  threshold: z.enum(THRESHOLD_NAMES as [ThresholdName, ...ThresholdName[]]),
  metric: z.enum(METRIC_NAMES as [MetricName, ...MetricName[]]),
  bound: z.enum(['min', 'max']),
  limit: z.number(),
  value: z.number().nullable(),
  passed: z.boolean(),
  reason: z.string(),
});
export type ThresholdCheck = z.infer<typeof thresholdCheckSchema>;

export function checkThresholds(target: string, metrics: Metrics, thresholds: Thresholds): ThresholdCheck[] {
  return THRESHOLDS.flatMap(({ name: threshold, metric, bound }): ThresholdCheck[] => {
    const limit = thresholds[threshold];
    if (limit === undefined) return [];
    const value = metrics[metric].value;
    if (value === null) {
      const reason = `${metric} could not be measured (no successful samples), so ${threshold} ${limit} is not met`;
      return [{ target, threshold, metric, bound, limit, value, passed: false, reason }];
    }
    const passed = bound === 'min' ? value >= limit : value <= limit;
    const relation = bound === 'min' ? (passed ? '≥' : '<') : passed ? '≤' : '>';
    const reason = `${metric} ${value} ${relation} ${limit} (${threshold})`;
    return [{ target, threshold, metric, bound, limit, value, passed, reason }];
  });
}
