// samples.jsonl, written one line per call as it completes with a synchronous append, so the
// samples already taken survive a crash, a cancellation or a killed job.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sample } from './sample.js';

export interface SampleLog {
  append(sample: Sample): void;
  close(): void;
}

export function openSampleLog(path: string): SampleLog {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number | null = openSync(path, 'w');
  return {
    append(sample) {
      if (fd !== null) writeSync(fd, `${JSON.stringify(sample)}\n`);
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
