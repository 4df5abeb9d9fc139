/**
 * Run by `timeout_warning_test.ts` as a process of its own (Deno reports a negative timeout once
 * per process). A `warning` listener is added first (`_warnings_listener.ts`, before the kafkajs
 * gate loads), then the gate; then it raises a negative-timeout warning — kafkajs' own (from
 * kafkajs' real request queue) with the argument `kafkajs`, one of its own with `own` — and
 * another warning. The test reads what the listener heard (stdout) and what the runtime printed
 * (stderr).
 *
 * @module
 */

import "./_warnings_listener.ts";
import process from "node:process";
import "../../src/kafka/kafkajs.ts";
import { kafkajsTimeoutWarning } from "./_warnings.ts";

if (Deno.args[0] === "kafkajs") kafkajsTimeoutWarning();
else clearTimeout(setTimeout(() => {}, -5));
process.emitWarning("a probe warning", "ProbeWarning");
