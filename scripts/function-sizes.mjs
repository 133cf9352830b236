// Lines and functions of source files, to compare two commits of the code's shape:
//   node scripts/function-sizes.mjs src/pipeline.ts src/main.ts            (the working tree)
//   node scripts/function-sizes.mjs --at 2a04c5a src/pipeline.ts ...       (another commit)
// For each file: its lines, its functions (named declarations, methods and arrow functions bound
// to a name), and the longest ones with their lengths.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const args = process.argv.slice(2);
const at = args[0] === '--at' ? args[1] : null;
const files = at ? args.slice(2) : args;

const sourceOf = (file) =>
  at ? execFileSync('git', ['show', `${at}:${file}`], { encoding: 'utf8' }) : readFileSync(file, 'utf8');

function functionsOf(source, file) {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found = [];
  const lineOf = (position) => tree.getLineAndCharacterOfPosition(position).line;
  const visit = (node) => {
    let name = null;
    if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name) name = node.name.getText(tree);
    else if (
      ts.isVariableDeclaration(node) &&
      node.initializer &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    )
      name = node.name.getText(tree);
    if (name) found.push({ name, lines: lineOf(node.getEnd()) - lineOf(node.getStart(tree)) + 1 });
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found.sort((a, b) => b.lines - a.lines);
}

for (const file of files) {
  let source;
  try {
    source = sourceOf(file);
  } catch {
    console.log(`${file}: not in ${at ?? 'the working tree'}`);
    continue;
  }
  const functions = functionsOf(source, file);
  const longest = functions
    .slice(0, 3)
    .map((entry) => `${entry.name} ${entry.lines}`)
    .join(', ');
  console.log(`${file}: ${source.split('\n').length} lines, ${functions.length} functions; longest: ${longest}`);
}
