/**
 * Imported by `_warnings_probe.ts` before the kafkajs gate: a `warning` listener that was there
 * before the gate loaded, printing on stdout each warning it hears (its name, and whether it is
 * kafkajs' negative timeout).
 *
 * @module
 */

import process from "node:process";
import { isKafkaJsTimeoutWarning } from "../../src/kafka/timeout_warning.ts";

process.on("warning", (warning: Error) => {
  console.log(JSON.stringify({ name: warning.name, kafkajs: isKafkaJsTimeoutWarning(warning) }));
});
