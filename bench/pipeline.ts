// One whole model-gate run from a benchmark, in this process, quiet.
import { cliFlagName } from '../src/config/load.js';
import { runModelGate, type RunOutcome } from '../src/pipeline.js';

const noop = () => undefined;

export function runPipeline(inputs: Record<string, string>): Promise<RunOutcome> {
  return runModelGate({
    inputs,
    configPath: '/nonexistent/model-gate.yml',
    configRequired: false,
    env: {},
    nameOf: cliFlagName,
    signal: new AbortController().signal,
    toolVersion: 'bench',
    log: { info: noop, warn: noop, debug: noop },
  });
}
