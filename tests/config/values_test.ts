import assert from "node:assert/strict";
import {
  byteSize,
  duration,
  fraction,
  integer,
  listen,
  listOf,
  nonNegativeInt,
  oneOf,
  parseListen,
  positiveInt,
} from "../../src/config/values.ts";

Deno.test("positiveInt() and nonNegativeInt() take counts with suffixes and name the flag", () => {
  assert.equal(positiveInt("10", "count"), 10);
  assert.equal(positiveInt("200k", "events"), 200_000);
  assert.equal(positiveInt("1M", "events"), 1_000_000);
  assert.equal(nonNegativeInt("0", "seed"), 0);
  assert.throws(() => positiveInt("0", "count"), /^RangeError: --count must be ≥ 1, got 0$/);
  assert.throws(
    () => positiveInt("ten", "count"),
    /^RangeError: --count: Cannot parse count "ten"/,
  );
  assert.throws(() => nonNegativeInt("-1", "seed"), /--seed: Cannot parse count "-1"/);
  assert.throws(() => positiveInt("1.5", "batch"), /--batch: .*not a whole number/);
});

Deno.test("integer() takes a whole number of either sign", () => {
  assert.equal(integer("42", "seed"), 42);
  assert.equal(integer("-7", "seed"), -7);
  for (const bad of ["x", "1.5", "", "1e3", "99999999999999999999"]) {
    assert.throws(() => integer(bad, "seed"), /--seed must be an integer/, bad);
  }
});

Deno.test("duration() and byteSize() take units and name the flag", () => {
  assert.equal(duration("100ms", "trigger"), 100);
  assert.equal(duration("2", "trigger"), 2000);
  assert.equal(duration("1m", "trigger"), 60_000);
  assert.throws(() => duration("soon", "trigger"), /--trigger: Cannot parse duration "soon"/);
  assert.equal(byteSize("5GB", "bytes"), 5e9);
  assert.equal(byteSize("512MiB", "bytes"), 512 * 1024 ** 2);
  assert.throws(() => byteSize("5 parsecs", "bytes"), /--bytes: Cannot parse byte size/);
});

Deno.test("fraction() takes numbers in 0..1 only", () => {
  assert.equal(fraction("0.05", "p"), 0.05);
  assert.equal(fraction("1", "p"), 1);
  assert.equal(fraction(".5", "p"), 0.5);
  for (const bad of ["1.01", "-0.1", "x", ""]) {
    assert.throws(() => fraction(bad, "p"), /--p must be a number in 0\.\.1/, bad);
  }
});

Deno.test("oneOf() and listOf() accept only the listed choices", () => {
  const modes = ["seed", "adagrad", "ftrl"] as const;
  assert.equal(oneOf(modes)("ftrl", "mode"), "ftrl");
  assert.throws(
    () => oneOf(modes)("FTRL", "mode"),
    /^RangeError: --mode must be one of seed, adagrad, ftrl, got "FTRL"$/,
  );
  assert.deepEqual(listOf(modes)(" ftrl, seed ,", "modes"), ["ftrl", "seed"]);
  assert.throws(() => listOf(modes)("seed,sgd", "modes"), /--modes must be one of .*got "sgd"/);
  assert.throws(() => listOf(modes)(" , ", "modes"), /--modes needs at least one of seed/);
});

Deno.test("parseListen() and listen() take host:port, :port or a port", () => {
  assert.deepEqual(parseListen("0.0.0.0:80"), { hostname: "0.0.0.0", port: 80 });
  assert.deepEqual(parseListen(":8080"), { hostname: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseListen("9000"), { hostname: "127.0.0.1", port: 9000 });
  assert.deepEqual(parseListen("[::1]:81"), { hostname: "::1", port: 81 });
  assert.throws(() => parseListen("nowhere"), /Cannot parse listen address "nowhere"/);
  assert.throws(
    () => listen("h:65536", "http"),
    /^RangeError: --http: Cannot parse listen address/,
  );
});
