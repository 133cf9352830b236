// samples.jsonl, one line per call as it completes. Lines reach the file at most FLUSH_AFTER_MS
// after their call ended (one write for all the calls of that window: a write per call is a system
// call per call, which a fast server makes the main cost of a run), when the log is closed, and
// when the process exits however it exits — so the samples already taken survive a crash or a
// cancelled job. Only a SIGKILL can lose the last window's lines.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Sample } from './sample.js';

export const FLUSH_AFTER_MS = 50;

export interface SampleLog {
  append(sample: Sample): void;
  close(): void;
}

export function openSampleLog(path: string): SampleLog {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number | null = openSync(path, 'w');
  let pending = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (fd !== null && pending) writeSync(fd, pending);
    pending = '';
  };
  process.on('exit', flush);
  return {
    append(sample) {
      if (fd === null) return;
      pending += `${JSON.stringify(sample)}\n`;
      // unref: a pending write never keeps the process alive; exit flushes it.
      timer ??= setTimeout(flush, FLUSH_AFTER_MS).unref();
    },
    close() {
      flush();
      process.off('exit', flush);
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
