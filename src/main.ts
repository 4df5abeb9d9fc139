/**
 * The program's entry point: resolves the command line and the environment into one `Config`
 * (`config.ts`), dispatches to the command in `cli/`, and turns a usage error into its message,
 * the command's help and exit code 2, and any other failure into one clear line and exit code 1.
 * Nothing imports this file.
 *
 * @module
 */

import { type Config, resolveConfig, UsageError } from "./config.ts";

// Each command's module is imported when it runs, not all of them at the start: a `train`
// loads neither the generator, nor `loadtest`, `quality` or `demo` (about 5 MB of RSS and 3 MB
// of V8 heap less, measured idle). Literal specifiers: `deno compile` still bundles them.
async function run(config: Config): Promise<number> {
  switch (config.command) {
    case "help":
      console.log(config.text);
      return 0;
    case "quality":
      return (await import("./cli/quality.ts")).runQuality(config);
    case "send":
      return (await import("./cli/send.ts")).runSend(config);
    case "consume":
      return (await import("./cli/consume.ts")).runConsume(config);
    case "topics":
      return (await import("./cli/topics.ts")).runTopics(config);
    case "train":
      return (await import("./cli/train.ts")).runTrain(config);
    case "featurize":
      return (await import("./cli/featurize.ts")).runFeaturize(config);
    case "learn":
      return (await import("./cli/learn.ts")).runLearn(config);
    case "demo":
      return (await import("./cli/demo.ts")).runDemo(config);
    case "loadtest":
      return (await import("./cli/loadtest.ts")).runLoadtest(config);
  }
  const unknown: never = config;
  throw new TypeError(`Cannot run the unknown configuration ${JSON.stringify(unknown)}`);
}

async function main(argv: string[]): Promise<number> {
  try {
    return await run(resolveConfig(argv, Deno.env.toObject()));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}\n\n${error.usage}`);
      return 2;
    }
    const e = error as Error;
    console.error(`error: ${e.message ?? e}`);
    if (Deno.env.get("CLICKSTREAM_DEBUG")) console.error(e.stack);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
