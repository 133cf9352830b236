// Builds dist/: the action (dist/index.js) and the CLI (dist/cli/index.js) bundled with ncc, plus
// what they read at run time: the built-in suites, the fonts, and sharp. ncc cannot bundle sharp,
// so sharp and its prebuilt libvips for the platforms a runner may have (linux-x64, linux-arm64)
// are copied into dist/node_modules, at the versions package-lock.json pins.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ncc = (entry, out) =>
  execFileSync(
    process.execPath,
    [
      'node_modules/@vercel/ncc/dist/ncc/cli.js',
      'build',
      entry,
      '-o',
      out,
      '-e',
      'sharp',
      '--license',
      'licenses.txt',
      '-q',
    ],
    { stdio: 'inherit' },
  );

rmSync('dist', { recursive: true, force: true });
ncc('src/index.ts', 'dist');
ncc('src/cli.ts', 'dist/cli');
mkdirSync('dist/assets', { recursive: true });
cpSync('suites', 'dist/suites', { recursive: true });
cpSync('assets/fonts', 'dist/assets/fonts', { recursive: true });

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')).packages;
const PURE_PACKAGES = ['sharp', 'detect-libc', 'semver', '@img/colour'];
const PLATFORM_PACKAGES = [
  '@img/sharp-linux-x64',
  '@img/sharp-libvips-linux-x64',
  '@img/sharp-linux-arm64',
  '@img/sharp-libvips-linux-arm64',
];
// Only what loads at run time: sharp's C++ sources, install scripts and .bin links stay behind
// (cpSync would also rewrite a relative link as an absolute path into this checkout).
const SKIP = /[\\/](src|install|\.bin)([\\/]|$)|\.(cc|h|gyp|md)$/;

for (const name of PURE_PACKAGES) {
  cpSync(join('node_modules', name), join('dist/node_modules', name), {
    recursive: true,
    filter: (path) => !SKIP.test(path.slice(`node_modules/${name}`.length)),
  });
}
for (const name of PLATFORM_PACKAGES) {
  const installed = join('node_modules', name);
  const target = join('dist/node_modules', name);
  if (existsSync(installed)) {
    cpSync(installed, target, { recursive: true });
    continue;
  }
  // Another platform's package is not installed here: fetch the pinned tarball from the registry.
  const version = lock[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`package-lock.json pins no version of ${name}`);
  const work = mkdtempSync(join(tmpdir(), 'model-gate-bundle-'));
  const tarball = execFileSync('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', work], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1);
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(work, tarball), '-C', target, '--strip-components=1']);
  rmSync(work, { recursive: true, force: true });
}
