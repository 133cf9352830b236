// The names shared by the action's inputs and the CLI's flags (action.yml documents each one).
export const RUN_INPUT_NAMES = [
  'base-url',
  'model',
  'api-key',
  'api-key-env',
  'target-name',
  'json-mode',
  'suite',
  'config',
  'warm-runs',
  'concurrency',
  'timeout',
  'temperature',
  'max-tokens',
  'report-dir',
  'min-detection-rate-pct',
  'max-false-positive-rate-pct',
  'min-json-valid-rate-pct',
  'min-schema-valid-rate-pct',
  'max-error-rate-pct',
  'max-warm-latency-p95-ms',
  'max-cold-start-ms',
  'max-ttft-p95-ms',
] as const;

export type RunInputName = (typeof RUN_INPUT_NAMES)[number];
