import assert from "node:assert/strict";
import {
  type CommandSpec,
  commandUsage,
  flagHelp,
  HELP_FLAG,
  parseFlags,
  UsageError,
} from "../../src/config/flags.ts";
import { positiveInt } from "../../src/config/values.ts";

const COLORS = ["red", "green", "blue"] as const;

const PAINT: CommandSpec = {
  name: "paint",
  args: "<wall>",
  summary: "paint a wall",
  flags: {
    coats: { type: "string", help: "coats of paint", default: "2" },
    color: { type: "string", help: "{choices}, the paint", choices: COLORS, default: "red" },
    finish: { type: "string", help: "(matte or not)", choices: ["matte", "gloss"] },
    note: { type: "string", help: "a note" },
    dry: { type: "boolean", help: "dry run" },
    help: HELP_FLAG,
  },
};

Deno.test("flagHelp() puts the choices in place of {choices}, or in front, and the default last", () => {
  assert.equal(flagHelp(PAINT.flags.coats), "coats of paint (default 2)");
  assert.equal(flagHelp(PAINT.flags.color), "red | green | blue, the paint (default red)");
  assert.equal(flagHelp(PAINT.flags.finish), "matte | gloss (matte or not)");
  assert.equal(flagHelp(PAINT.flags.note), "a note");
});

Deno.test("commandUsage() lists every flag, its value placeholder, alias and default", () => {
  const lines = commandUsage(PAINT).split("\n");
  assert.equal(lines[0], "Usage: clickstream paint <wall> [flags]");
  assert.equal(lines[2], "paint a wall");
  assert.equal(lines[4], "Flags:");
  assert.deepEqual(lines.slice(5).map((l) => l.trim().split(/ {2,}/)), [
    ["--coats <value>", "coats of paint (default 2)"],
    ["--color <value>", "red | green | blue, the paint (default red)"],
    ["--finish <value>", "matte | gloss (matte or not)"],
    ["--note <value>", "a note"],
    ["--dry", "dry run"],
    ["-h, --help", "show this help"],
  ]);
  const described = commandUsage({ ...PAINT, description: "Paints.\nThoroughly." });
  assert.match(described, /^Usage: .*\n\nPaints\.\nThoroughly\.\n\nFlags:/);
});

Deno.test("parseFlags() reads values, defaults, switches and positionals", () => {
  const flags = parseFlags(PAINT, ["north", "--coats", "3", "--dry", "-h"]);
  assert.deepEqual(flags.positionals, ["north"]);
  assert.equal(flags.given("coats"), "3");
  assert.equal(flags.text("coats"), "3");
  assert.equal(flags.given("color"), undefined);
  assert.equal(flags.text("color"), "red");
  assert.equal(flags.text("note"), "");
  assert.equal(flags.on("dry"), true);
  assert.equal(flags.help, true);
  assert.equal(flags.value("coats", positiveInt), 3);
  assert.equal(flags.optional("note", (t) => t.length), null);
  assert.equal(parseFlags(PAINT, []).help, false);
});

Deno.test("parseFlags() raises UsageError with the command's help on an unknown flag or a missing value", () => {
  for (const argv of [["--glitter"], ["--coats"], ["-x"]]) {
    assert.throws(() => parseFlags(PAINT, argv), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, new RegExp(argv[0].replace(/^-+/, "")));
      assert.equal(e.usage, commandUsage(PAINT));
      return true;
    });
  }
});

Deno.test("ParsedFlags.value() turns the parser's RangeError into a UsageError and keeps the cause", () => {
  const flags = parseFlags(PAINT, ["--coats", "0"]);
  assert.throws(() => flags.value("coats", positiveInt), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, "--coats must be ≥ 1, got 0");
    assert.equal(e.usage, commandUsage(PAINT));
    assert.ok(e.cause instanceof RangeError);
    return true;
  });
  const bug = () => {
    throw new TypeError("a bug, not a bad value");
  };
  assert.throws(() => flags.value("coats", bug), TypeError);
});

Deno.test("ParsedFlags rejects a flag the command does not declare, or of the other type", () => {
  const flags = parseFlags(PAINT, []);
  assert.throws(() => flags.text("colour"), /paint has no string flag --colour/);
  assert.throws(() => flags.on("coats"), /paint has no boolean flag --coats/);
  assert.throws(() => flags.given("dry"), /paint has no string flag --dry/);
  assert.throws(() => flags.text("toString"), /paint has no string flag --toString/);
});

Deno.test("ParsedFlags.noPositionals() names the first stray argument", () => {
  parseFlags(PAINT, ["--dry"]).noPositionals();
  assert.throws(
    () => parseFlags(PAINT, ["a", "b"]).noPositionals(),
    (e: unknown) => e instanceof UsageError && e.message === 'Unexpected argument "a"',
  );
});
