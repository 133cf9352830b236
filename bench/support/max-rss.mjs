// Preloaded into a measured process (node --import): on exit, writes its peak resident set size
// (kilobytes, from getrusage) to the file named by MODEL_GATE_RSS_FILE.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  if (process.env.MODEL_GATE_RSS_FILE)
    writeFileSync(process.env.MODEL_GATE_RSS_FILE, String(process.resourceUsage().maxRSS));
});
