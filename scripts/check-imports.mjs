// Checks that every name a script takes from one of our own modules is exported by it:
//   import { a, b as c } from './lib/jobs.mjs';                      (static: fails at load, in
//                                                                      the middle of a test run)
//   const { a, b: c } = await import(`${ROOT}/scripts/lib/jobs.mjs`); (dynamic, as the network
//                                                                      tests do: a missing name is
//                                                                      undefined, found only when
//                                                                      a test calls it)
// Usage: node scripts/check-imports.mjs FILE...   (scripts/test.sh passes every script)
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `a, b as c, d: e` → ['a', 'b', 'd'] (the exported names). */
const names = (list) => list.split(',').map((s) => s.trim().split(/\s+as\s+|\s*:\s*/)[0]).filter(Boolean);

/** Every (module path, names) a file takes from our own modules. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(\.{1,2}\/[^']+)'/g)) {
    found.push([resolve(dirname(file), m[2]), names(m[1])]);
  }
  for (const m of text.matchAll(/const\s*\{([^}]*)\}\s*=\s*await\s+import\(\s*(?:`\$\{ROOT\}\/([^`]+)`|path\.join\(ROOT,\s*'([^']+)'\))\s*\)/g)) {
    found.push([resolve(ROOT, m[2] ?? m[3]), names(m[1])]);
  }
  return found;
}

const modules = new Map();
let problems = 0;
for (const file of process.argv.slice(2)) {
  for (const [path, wanted] of importsOf(file)) {
    if (!modules.has(path)) modules.set(path, await import(pathToFileURL(path).href).catch((e) => e));
    const module = modules.get(path);
    if (module instanceof Error) {
      console.error(`${file}: cannot load ${path}: ${module.message}`);
      problems += 1;
      continue;
    }
    for (const name of wanted.filter((n) => !(n in module))) {
      console.error(`${file}: ${path.slice(ROOT.length + 1)} exports no '${name}'`);
      problems += 1;
    }
  }
}
if (problems > 0) process.exit(1);
console.log(`imports checked: ${modules.size} modules`);
process.exit(0);
