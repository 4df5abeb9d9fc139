/**
 * The kafkajs gate (`src/kafka/kafkajs.ts`) is the only module of the program (`src/`, and the
 * development launcher and benchmarks under `dev/` and `bench/`) that imports kafkajs;
 * it refuses a kafkajs other than the pinned one with an error naming both versions; it finds
 * the private piece `evict_member.ts` needs or says it cannot; and it fails loudly, instead of
 * falling back to kafkajs' quadratic grouping, when kafkajs was loaded before it. That the
 * patches are used by a real produce and consume is `kafkajs_gate_kafka_test.ts`.
 *
 * @module
 */

import assert from "node:assert/strict";
import kafkajsPackage from "kafkajs/package.json" with { type: "json" };
import {
  checkKafkaJsVersion,
  clusterFactory,
  Kafka,
  KAFKAJS_VERSION,
  KafkaJsPatchError,
  KafkaJsVersionError,
  logLevel,
  patchCalls,
} from "../../src/kafka/kafkajs.ts";

const GATE = "src/kafka/kafkajs.ts";
const root = new URL("../../", import.meta.url);

/**
 * Every way a file can load kafkajs: a string literal naming it or one of its modules after
 * `from`, `import` or `require` (`from "kafkajs"`, `import "kafkajs/src/..."`, `import("kafkajs")`,
 * `require('kafkajs/...')`, a type import, `npm:kafkajs@...`). Comment lines (`//`, `/*`, ` *`)
 * are prose, not imports, and are skipped, as is the name in any other string (a label such as
 * a profile's `"kafkajs"` category). Returns the specifiers found.
 */
function kafkajsImports(source: string): string[] {
  const code = source.split("\n").filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line)).join("\n");
  return [
    ...code.matchAll(
      /\b(?:from|import|require)\s*\(?\s*["'`]((?:npm:)?kafkajs(?:@[^/"'`]*)?(?:\/[^"'`]*)?)["'`]/g,
    ),
  ]
    .map((m) => m[1]);
}

async function* typeScriptFiles(dir: URL): AsyncGenerator<URL> {
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) yield* typeScriptFiles(url);
    else if (entry.name.endsWith(".ts")) yield url;
  }
}

Deno.test("kafkajsImports() finds every form of a kafkajs import, and not the word in prose", () => {
  const imports = [
    'import { Kafka } from "kafkajs";',
    "import type { Admin } from 'kafkajs';",
    'import Encoder from "kafkajs/src/protocol/encoder.js";',
    'export { logLevel } from "kafkajs";',
    'const k = await import("kafkajs");',
    "const d = require('kafkajs/src/protocol/decoder.js');",
    'import { Kafka } from "npm:kafkajs@2.2.4";',
    'import pkg from "kafkajs/package.json" with { type: "json" };',
    "const m = require(`kafkajs`);",
  ];
  for (const line of imports) assert.equal(kafkajsImports(line).length, 1, line);
  for (
    const prose of [
      "// kafkajs' own logs are quiet",
      "/** The underlying kafkajs client. */",
      " * kafkajs' `Encoder` (the class of `kafkajs/src/protocol/encoder.js`)",
      '// `import "kafkajs"` only in the gate',
      'const name = "kafkajs-like";',
      "console.error(`kafkajs ${level}`);",
      'if (url.includes("/kafkajs/")) return "kafkajs";',
    ]
  ) {
    assert.deepEqual(kafkajsImports(prose), [], prose);
  }
});

Deno.test(`only ${GATE} imports kafkajs, in src/, dev/ and bench/`, async () => {
  const offenders: string[] = [];
  let gateImports = 0;
  const perDir: Record<string, number> = {};
  for (const dir of ["src/", "dev/", "bench/"]) {
    perDir[dir] = 0;
    for await (const url of typeScriptFiles(new URL(dir, root))) {
      perDir[dir]++;
      const path = url.pathname.slice(root.pathname.length);
      const found = kafkajsImports(await Deno.readTextFile(url));
      if (path === GATE) gateImports = found.length;
      else if (found.length > 0) offenders.push(`${path}: ${found.join(", ")}`);
    }
  }
  assert.ok(perDir["src/"] > 50, `only ${perDir["src/"]} files under src/`);
  assert.ok(perDir["dev/"] > 3 && perDir["bench/"] > 5, `too few files: ${JSON.stringify(perDir)}`);
  assert.ok(gateImports > 0, `${GATE} itself imports no kafkajs: has the gate moved?`);
  assert.deepEqual(offenders, [], `import kafkajs only through ${GATE}:\n${offenders.join("\n")}`);
});

Deno.test("a kafkajs other than the pinned one is refused, naming both versions", () => {
  assert.throws(
    () => checkKafkaJsVersion("2.2.3"),
    (error: unknown) => {
      assert.ok(error instanceof KafkaJsVersionError);
      assert.equal(error.installed, "2.2.3");
      assert.equal(error.expected, KAFKAJS_VERSION);
      assert.match(
        error.message,
        /kafkajs 2\.2\.3 is installed, but this program needs kafkajs 2\.2\.4/,
      );
      return true;
    },
  );
  assert.throws(
    () => checkKafkaJsVersion("2.2.4", "3.0.0"),
    /kafkajs 2\.2\.4 is installed.*needs kafkajs 3\.0\.0/,
  );
  assert.throws(
    () => checkKafkaJsVersion(undefined),
    /kafkajs of unknown version \(undefined\) is installed/,
  );
  checkKafkaJsVersion(KAFKAJS_VERSION);
});

Deno.test("the pinned version is deno.json's and the installed kafkajs'", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  assert.equal(config.imports.kafkajs, `npm:kafkajs@${KAFKAJS_VERSION}`);
  assert.equal(kafkajsPackage.version, KAFKAJS_VERSION);
});

Deno.test("clusterFactory() finds kafkajs' private cluster factory, or says it is missing", () => {
  const kafka = new Kafka({ brokers: ["127.0.0.1:9092"], logLevel: logLevel.NOTHING });
  assert.equal(typeof clusterFactory(kafka), "function");
  assert.throws(
    () => clusterFactory({} as unknown as Kafka),
    (error: unknown) =>
      error instanceof KafkaJsPatchError && error.patch === "cluster factory" &&
      /private:Kafka:createCluster/.test(error.message),
  );
});

Deno.test("patchCalls() names a counter for every patched function", () => {
  const calls = patchCalls();
  assert.deepEqual(Object.keys(calls).sort(), [
    "columnarFetch.Batch",
    "columnarFetch.decodeMessages",
    "directRecordBatch.Record",
    "directRecordBatch.RecordBatch",
    "directResponse.processData",
    "directResponse.socketFactory",
    "explicitPartition.DefaultPartitioner",
    "fastCrc32c.crc32C",
    "fastLongDecoding.fromValue",
    "fastLongDecoding.fromValueCached",
    "fastLongDecoding.readVarLong",
    "fastVarints.sizeOfVarLong",
    "fastVarints.writeUVarInt",
    "fastVarints.writeVarLong",
    "linearGrouping.groupMessagesPerPartition",
  ]);
  for (const [name, n] of Object.entries(calls)) assert.ok(Number.isInteger(n) && n >= 0, name);
});

Deno.test("the gate fails loudly when kafkajs was loaded before it", async () => {
  const probe = new URL("./_gate_too_late.ts", import.meta.url);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", probe.pathname],
    cwd: root.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(
    stdout,
    /^KafkaJsPatchError: Cannot set up kafkajs \(linear grouping\): kafkajs' producer was loaded before src\/kafka\/kafkajs\.ts/,
  );
});
