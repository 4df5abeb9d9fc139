import assert from "node:assert/strict";
import { formatDuration, parseBytes, parseCount, parseDuration } from "../../src/util/units.ts";

Deno.test("parseDuration() reads ms, s, m, h and bare seconds", () => {
  assert.equal(parseDuration("100ms"), 100);
  assert.equal(parseDuration("2s"), 2000);
  assert.equal(parseDuration("1.5m"), 90_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("10"), 10_000);
  assert.throws(() => parseDuration("-1s"), RangeError);
  assert.throws(() => parseDuration("2 weeks"), /Cannot parse duration "2 weeks"/);
});

Deno.test("parseBytes() reads decimal and binary units", () => {
  assert.equal(parseBytes("5GB"), 5e9);
  assert.equal(parseBytes("512MiB"), 512 * 1024 * 1024);
  assert.equal(parseBytes("1000"), 1000);
  assert.equal(parseBytes("1.5kb"), 1500);
  assert.throws(() => parseBytes("5 parsecs"), /Cannot parse byte size/);
});

Deno.test("parseCount() reads k and M suffixes and rejects fractions", () => {
  assert.equal(parseCount("200k"), 200_000);
  assert.equal(parseCount("1M"), 1_000_000);
  assert.throws(() => parseCount("1.5"), /not a whole number/);
  assert.throws(() => parseCount("many"), RangeError);
});

Deno.test("formatDuration() picks a short unit", () => {
  assert.equal(formatDuration(850), "850ms");
  assert.equal(formatDuration(12_340), "12.3s");
  assert.equal(formatDuration(245_000), "4m05s");
});
