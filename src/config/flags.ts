/**
 * The flags of a command: each flag is declared once, as a {@linkcode FlagSpec} with its help
 * text, its default and (for a choice) its list of choices; a {@linkcode CommandSpec} gathers
 * a command's flags. From the spec come both the help text ({@linkcode commandUsage}) and the
 * parse of a command line ({@linkcode parseFlags}, with `node:util`'s `parseArgs`, strict), so
 * the two cannot disagree. The command's resolver then reads the values through
 * {@linkcode ParsedFlags}, turning a bad value into a {@linkcode UsageError} that names the flag
 * and carries the command's help.
 *
 * @example Declare, parse and read the flags of a command
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CommandSpec, HELP_FLAG, parseFlags } from "./flags.ts";
 * import { oneOf, positiveInt } from "./values.ts";
 *
 * const COLORS = ["red", "green"] as const;
 * const spec: CommandSpec = {
 *   name: "paint",
 *   summary: "paint a few walls",
 *   flags: {
 *     walls: { type: "string", help: "walls to paint", default: "1" },
 *     color: { type: "string", help: "{choices}", choices: COLORS, default: "red" },
 *     help: HELP_FLAG,
 *   },
 * };
 * const flags = parseFlags(spec, ["--walls", "3"]);
 * assert.equal(flags.value("walls", positiveInt), 3);
 * assert.equal(flags.value("color", oneOf(COLORS)), "red");
 * assert.match(flags.usage(), /--color <value> +red \| green \(default red\)/);
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One flag of a command. */
export interface FlagSpec {
  /** `string` takes a value (`--name <value>`); `boolean` is a switch (`--name`). */
  readonly type: "string" | "boolean";
  /** A one-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
  /**
   * The help text. For a flag with {@linkcode FlagSpec.choices}, `{choices}` stands for them
   * (`a | b | c`); without the placeholder they are put in front.
   */
  readonly help: string;
  /** The value when the flag is not given, as a user would type it; the help shows it. */
  readonly default?: string;
  /** The values allowed, read from their one source (e.g. `MODES`); the help lists them. */
  readonly choices?: readonly string[];
}

/** The flags of a command by name (without the leading `--`), in the order of the help. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** A command: its name, what it takes besides flags, its help and its flags. */
export interface CommandSpec {
  /** The command's name, e.g. `train`. */
  readonly name: string;
  /** The positional arguments in the usage line, e.g. `[topic]`. Default: none. */
  readonly args?: string;
  /** One line for the program's list of commands (and the command's help). */
  readonly summary: string;
  /** A longer text for the command's help, in place of the summary. Default: the summary. */
  readonly description?: string;
  /** Every flag the command takes, `--help` included. */
  readonly flags: FlagSpecs;
}

/** The environment a resolver reads (`Deno.env.toObject()` in the program). */
export type Env = Readonly<Record<string, string | undefined>>;

/** `-h, --help`, which every command takes. */
export const HELP_FLAG: FlagSpec = { type: "boolean", short: "h", help: "show this help" };

/** A bad command line; `usage` is the help of the command concerned. Exit code 2. */
export class UsageError extends Error {
  /** The help text to print after the message. */
  readonly usage: string;
  /**
   * Creates the error.
   * @param message what is wrong, naming the flag or value
   * @param usage the help text of the command concerned
   * @param options the cause, if any
   */
  constructor(message: string, usage: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/**
 * Parses the text of one flag into its value. Throws a `RangeError` whose message names the
 * flag (`--name …`) when the text is bad.
 */
export type FlagParser<T> = (text: string, flag: string) => T;

/** The help text of one flag, its choices and default included, without the flag's name. */
export function flagHelp(spec: FlagSpec): string {
  let text = spec.help;
  if (spec.choices !== undefined) {
    const list = spec.choices.join(" | ");
    text = text.includes("{choices}") ? text.replace("{choices}", list) : `${list} ${text}`;
  }
  return spec.default === undefined ? text : `${text} (default ${spec.default})`;
}

/** The help text of a command, generated from its spec: usage line, description, flags. */
export function commandUsage(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `  ${f.short ? `-${f.short}, ` : ""}--${name}${
      f.type === "string" ? " <value>" : ""
    }`;
    return `${left.padEnd(34)} ${flagHelp(f)}`;
  });
  return [
    `Usage: clickstream ${spec.name}${spec.args ? ` ${spec.args}` : ""} [flags]`,
    "",
    spec.description ?? spec.summary,
    "",
    "Flags:",
    ...rows,
  ].join("\n");
}

/** The values of a parsed command line, read by a command's resolver. */
export class ParsedFlags {
  /** The command the flags belong to. */
  readonly command: CommandSpec;
  /** The arguments that are not flags, in order. */
  readonly positionals: readonly string[];
  readonly #values: Readonly<Record<string, string | boolean | undefined>>;

  /**
   * Wraps the values `parseArgs` returned; use {@linkcode parseFlags} rather than this.
   * @param command the command's spec
   * @param values the values by flag name
   * @param positionals the other arguments
   */
  constructor(
    command: CommandSpec,
    values: Readonly<Record<string, string | boolean | undefined>>,
    positionals: readonly string[],
  ) {
    this.command = command;
    this.#values = values;
    this.positionals = positionals;
  }

  /** Whether `--help` (or `-h`) was given. */
  get help(): boolean {
    return this.#values.help === true;
  }

  /** The text given for a string flag, or `undefined` when it was not given. */
  given(name: string): string | undefined {
    this.#spec(name, "string");
    const v = this.#values[name];
    return typeof v === "string" ? v : undefined;
  }

  /** The text of a string flag: given, else its default, else `""`. */
  text(name: string): string {
    return this.given(name) ?? this.#spec(name, "string").default ?? "";
  }

  /** Whether a boolean flag was given. */
  on(name: string): boolean {
    this.#spec(name, "boolean");
    return this.#values[name] === true;
  }

  /**
   * The value of a string flag ({@linkcode ParsedFlags.text}) parsed by `parse`.
   * @throws {UsageError} naming the flag when `parse` rejects the text
   */
  value<T>(name: string, parse: FlagParser<T>): T {
    return this.parse(name, this.text(name), parse);
  }

  /**
   * The value of a string flag parsed by `parse`, or `null` when the flag was not given.
   * @throws {UsageError} naming the flag when `parse` rejects the text
   */
  optional<T>(name: string, parse: FlagParser<T>): T | null {
    const text = this.given(name);
    return text === undefined ? null : this.parse(name, text, parse);
  }

  /**
   * Parses `text` as the value of flag `name` (for a value that may come from the environment).
   * @throws {UsageError} naming the flag when `parse` rejects the text
   */
  parse<T>(name: string, text: string, parse: FlagParser<T>): T {
    try {
      return parse(text, name);
    } catch (cause) {
      if (!(cause instanceof RangeError)) throw cause;
      throw this.error(cause.message, { cause });
    }
  }

  /** A {@linkcode UsageError} with this command's help, for the resolver to throw. */
  error(message: string, options?: ErrorOptions): UsageError {
    return new UsageError(message, this.usage(), options);
  }

  /**
   * Checks that no positional argument was given.
   * @throws {UsageError} naming the first one otherwise
   */
  noPositionals(): void {
    if (this.positionals.length > 0) {
      throw this.error(`Unexpected argument "${this.positionals[0]}"`);
    }
  }

  /** The command's help text. */
  usage(): string {
    return commandUsage(this.command);
  }

  #spec(name: string, type: FlagSpec["type"]): FlagSpec {
    const spec = Object.hasOwn(this.command.flags, name) ? this.command.flags[name] : undefined;
    if (spec?.type !== type) {
      throw new TypeError(`${this.command.name} has no ${type} flag --${name}`);
    }
    return spec;
  }
}

/**
 * Parses a command line (the arguments after the command's name) against the command's flags.
 * Defaults are not filled in here: {@linkcode ParsedFlags.text} reads them from the spec.
 * @throws {UsageError} on an unknown flag or a missing value, with the command's help
 */
export function parseFlags(command: CommandSpec, argv: readonly string[]): ParsedFlags {
  const options = Object.fromEntries(
    Object.entries(command.flags).map(([name, f]) => [
      name,
      f.short ? { type: f.type, short: f.short } : { type: f.type },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    return new ParsedFlags(command, values, positionals);
  } catch (cause) {
    throw new UsageError((cause as Error).message, commandUsage(command), { cause });
  }
}
