import { describe, expect, it } from '@jest/globals';
import { computeMetrics } from '../src/measure/metrics.js';
import { sampleWith as sample } from './helpers/samples.js';

describe('metrics', () => {
  it('quantiles match numpy.percentile (linear, type 7) on a reference sample', () => {
    // numpy.percentile([120, 95, 310, 101, 99, 250, 130, 105, 98, 400], [50, 95]) == [112.5, 359.5]
    const latencies = [120, 95, 310, 101, 99, 250, 130, 105, 98, 400];
    const metrics = computeMetrics(latencies.map((latencyMs) => sample({ latencyMs })));
    expect(metrics.warmLatencyP50Ms).toEqual({ value: 112.5, n: 10 });
    expect(metrics.warmLatencyP95Ms).toEqual({ value: 359.5, n: 10 });
    expect(metrics.warmLatencyMeanMs).toEqual({ value: 170.8, n: 10 });
  });

  it('errors count as missed anomalies but not as false positives, and are excluded from latency', () => {
    const samples = [
      sample({ detected: true }),
      sample({
        detected: false,
        flagged: false,
        errorClass: 'timeout',
        jsonValid: false,
        schemaValid: false,
        latencyMs: 30000,
        ttftMs: null,
      }),
      sample({ anomaly: false, flagged: true, detected: false }),
      sample({ anomaly: false, flagged: false, detected: false }),
      sample({
        anomaly: false,
        flagged: false,
        detected: false,
        errorClass: 'http-500',
        jsonValid: false,
        schemaValid: false,
      }),
      sample({ phase: 'cold', run: 0, latencyMs: 4000 }),
    ];
    const metrics = computeMetrics(samples);
    expect(metrics.detectionRatePct).toEqual({ value: 50, n: 2, count: 1 });
    expect(metrics.falsePositiveRatePct).toEqual({ value: 50, n: 2, count: 1 });
    expect(metrics.errorRatePct).toEqual({ value: 40, n: 5, count: 2 });
    expect(metrics.jsonValidRatePct).toEqual({ value: 100, n: 3, count: 3 });
    expect(metrics.warmLatencyP95Ms.n).toBe(3);
    expect(metrics.coldStartMs).toEqual({ value: 4000, n: 1 });
  });

  it('says nothing rather than zero when there is nothing to measure', () => {
    const metrics = computeMetrics([]);
    expect(metrics.detectionRatePct).toEqual({ value: null, n: 0, count: 0 });
    expect(metrics.warmLatencyP50Ms).toEqual({ value: null, n: 0 });
    expect(metrics.coldStartMs).toEqual({ value: null, n: 0 });
  });
});
