// Builds dist/: the action (dist/index.js) and the CLI (dist/cli/index.js) bundled with ncc, plus
// the built-in suites and fonts they read at run time. sharp stays external (ncc cannot bundle it,
// and the action never needs it: it runs the committed PNGs).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';

const ncc = (entry, out) =>
  execFileSync(process.execPath, ['node_modules/@vercel/ncc/dist/ncc/cli.js', 'build', entry, '-o', out, '-e', 'sharp', '--license', 'licenses.txt', '-q'], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
ncc('src/index.ts', 'dist');
ncc('src/cli.ts', 'dist/cli');
mkdirSync('dist/assets', { recursive: true });
cpSync('suites', 'dist/suites', { recursive: true });
cpSync('assets/fonts', 'dist/assets/fonts', { recursive: true });
