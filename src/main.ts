/**
 * The program's entry point: resolves the command line and the environment into one `Config`
 * (`config.ts`), dispatches to the command in `cli/`, and turns a usage error into its message,
 * the command's help and exit code 2, and any other failure into one clear line and exit code 1.
 * Nothing imports this file.
 *
 * @module
 */

import { type Config, resolveConfig, UsageError } from "./config.ts";
import { runQuality } from "./cli/quality.ts";
import { runSend } from "./cli/send.ts";
import { runConsume } from "./cli/consume.ts";
import { runTopics } from "./cli/topics.ts";
import { runTrain } from "./cli/train.ts";
import { runFeaturize } from "./cli/featurize.ts";
import { runLearn } from "./cli/learn.ts";
import { runDemo } from "./cli/demo.ts";
import { runLoadtest } from "./cli/loadtest.ts";

function run(config: Config): Promise<number> | number {
  switch (config.command) {
    case "help":
      console.log(config.text);
      return 0;
    case "quality":
      return runQuality(config);
    case "send":
      return runSend(config);
    case "consume":
      return runConsume(config);
    case "topics":
      return runTopics(config);
    case "train":
      return runTrain(config);
    case "featurize":
      return runFeaturize(config);
    case "learn":
      return runLearn(config);
    case "demo":
      return runDemo(config);
    case "loadtest":
      return runLoadtest(config);
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
