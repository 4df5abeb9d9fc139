/**
 * A second, unpatched copy of kafkajs' modules for byte-identity tests: its files are read from
 * the installed kafkajs and run by a small CommonJS loader of its own (its own module cache), so
 * none of the kafkajs gate's patches reach it — not the swapped modules, not the replaced
 * `Encoder` methods. `require()`s of anything outside kafkajs (`zlib`, `util`, `events`, ...) go
 * to the real `require`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";

const require = createRequire(import.meta.url);
const KAFKAJS_ROOT = dirname(require.resolve("kafkajs/package.json"));

interface Module {
  exports: unknown;
}

const cache = new Map<string, Module>();

function resolveFile(path: string): string {
  for (const candidate of [path, `${path}.js`, `${path}.json`, join(path, "index.js")]) {
    try {
      if (Deno.statSync(candidate).isFile) return candidate;
    } catch { /* not this one */ }
  }
  throw new Error(`pristine kafkajs: cannot resolve ${path}`);
}

function load(file: string): unknown {
  const cached = cache.get(file);
  if (cached) return cached.exports;
  const module: Module = { exports: {} };
  cache.set(file, module);
  const source = Deno.readTextFileSync(file);
  if (file.endsWith(".json")) {
    module.exports = JSON.parse(source);
    return module.exports;
  }
  const dir = dirname(file);
  const localRequire = (id: string): unknown =>
    id.startsWith(".") ? load(resolveFile(join(dir, id))) : require(id);
  // The CommonJS wrapper, with the globals kafkajs' modules use.
  const wrapper = new Function(
    "exports",
    "require",
    "module",
    "__filename",
    "__dirname",
    "Buffer",
    "process",
    `${source}\n//# sourceURL=pristine:${file}`,
  );
  wrapper(module.exports, localRequire, module, file, dir, Buffer, process);
  return module.exports;
}

/**
 * A module of the unpatched kafkajs copy, by its path inside the package
 * (`"src/protocol/requests/produce/v3/request.js"`).
 */
export function pristineKafkaJs(path: string): unknown {
  return load(resolveFile(join(KAFKAJS_ROOT, path)));
}
