/**
 * Kafka TLS and SASL, end to end through the CLI (`send`, `consume`, `loadtest`, `train` as subprocesses),
 * against a broker of its own with three more listeners: SSL (certificates made with `keytool`
 * at test time), SASL_PLAINTEXT with SCRAM users added when the storage is formatted (and a
 * PLAIN user), and SASL_SSL. Correct settings work; a wrong password and an untrusted CA each
 * fail closed, with a clear message, within a bounded time — and nothing reaches the topic.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort, startBroker } from "../../dev/kafka/broker.ts";
import { KafkaAdmin } from "../../src/kafka/admin.ts";
import { connectWithin, KafkaClient, KafkaSecurityError } from "../../src/kafka/client.ts";
import { probeTls } from "../../src/kafka/tls_probe.ts";
import { uniqueGroup, uniqueTopic } from "../_helpers/kafka.ts";
import { spawnTrain, waitForWeights } from "../_helpers/train_process.ts";
import { makeTestCertificates } from "./_certs.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the CLI with a hard deadline (killed after `timeoutMs`, which fails the test). */
async function cli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<CliResult> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const result = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    ms: Math.round(performance.now() - t0),
  };
  assert.ok(
    out.signal === null,
    `clickstream ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${result.stderr}`,
  );
  return result;
}

/** Records in `topic` according to the broker (plaintext listener), 0 when it does not exist. */
async function recordsIn(brokers: string, topic: string): Promise<number> {
  await using admin = await KafkaAdmin.connect(new KafkaClient({ brokers }));
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) return 0;
  return (await admin.topicOffsets(topic)).reduce((n, o) => n + o.high - o.low, 0);
}

Deno.test({
  name: "send, consume and train work over TLS and SASL, and fail closed on a bad password or CA",
  sanitizeResources: false, // the broker's process handle
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "clickstream-tls-" });
    try {
      const certs = await makeTestCertificates(`${dir}/certs`);
      const scram = "alice-scram-secret";
      await using broker = await startBroker({
        dataDir: `${dir}/broker`,
        removeDataDir: true,
        extraListeners: [
          { name: "SSL", protocol: "SSL" },
          { name: "SASL", protocol: "SASL_PLAINTEXT" },
          { name: "SECURE", protocol: "SASL_SSL" },
          { name: "MTLS", protocol: "SSL" },
        ],
        formatArgs: [
          "--add-scram",
          `SCRAM-SHA-256=[name=alice,password=${scram}]`,
          "--add-scram",
          `SCRAM-SHA-512=[name=alice,password=${scram}]`,
        ],
        properties: {
          "ssl.keystore.type": "PKCS12",
          "ssl.keystore.location": certs.brokerKeystore,
          "ssl.keystore.password": certs.password,
          "ssl.key.password": certs.password,
          "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
          "listener.name.mtls.ssl.client.auth": "required",
          "listener.name.mtls.ssl.truststore.type": "PKCS12",
          "listener.name.mtls.ssl.truststore.location": certs.truststore,
          "listener.name.mtls.ssl.truststore.password": certs.password,
          ...Object.fromEntries(["sasl", "secure"].flatMap((l) => [
            [
              `listener.name.${l}.plain.sasl.jaas.config`,
              'org.apache.kafka.common.security.plain.PlainLoginModule required user_bob="bob-plain-secret";',
            ],
            [
              `listener.name.${l}.scram-sha-256.sasl.jaas.config`,
              "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            ],
            [
              `listener.name.${l}.scram-sha-512.sasl.jaas.config`,
              "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            ],
          ])),
        },
      });
      const { SSL: ssl, SASL: sasl, SECURE: secure, MTLS: mtls } = broker.listeners;

      /** Sends 5 events and reads them back with the same security flags. */
      const roundTrip = async (security: string[], env: Record<string, string> = {}) => {
        const topic = uniqueTopic("sec");
        const sent = await cli(["send", "--topic", topic, "--count", "5", ...security], env);
        assert.equal(sent.code, 0, sent.stderr + sent.stdout);
        const read = await cli(
          ["consume", "--topic", topic, "--from-beginning", "--max", "5", ...security],
          env,
        );
        assert.equal(read.code, 0, read.stderr + read.stdout);
        const lines = read.stdout.trim().split("\n").filter((l) => l.includes("session_id"));
        assert.equal(lines.length, 5, read.stdout);
        assert.equal(await recordsIn(broker.brokers, topic), 5);
      };

      await t.step("TLS with the CA that signed the broker's certificate", async () => {
        await roundTrip(["--brokers", ssl, "--tls-ca", certs.caPem]);
      });

      await t.step("TLS settings from the environment (KAFKA_TLS_CA)", async () => {
        await roundTrip([], { KAFKA_BROKERS: ssl, KAFKA_TLS_CA: certs.caPem });
      });

      await t.step("mutual TLS with a client certificate signed by the CA", async () => {
        await roundTrip([
          "--brokers",
          mtls,
          "--tls-ca",
          certs.caPem,
          "--tls-cert",
          certs.clientCertPem,
          "--tls-key",
          certs.clientKeyPem,
        ]);
      });

      // The failing TLS cases run at once: kafkajs retries a failed handshake (~9 s) before
      // giving up, so one after the other they would take half a minute.
      await t.step(
        "an untrusted CA, no TLS, no client certificate: each fails closed",
        async () => {
          const failing = async (name: string, flags: string[]) => {
            const topic = uniqueTopic(`sec-${name}`);
            const r = await cli(["send", ...flags, "--topic", topic, "--count", "5"]);
            assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
            assert.equal(await recordsIn(broker.brokers, topic), 0, `${name}: nothing was written`);
            console.log(`${name}: exit 1 after ${r.ms} ms: ${r.stderr.trim().split("\n")[0]}`);
            return r;
          };
          const [untrusted, plain, noCert] = await Promise.all([
            failing("untrusted CA", ["--brokers", ssl, "--tls-ca", certs.otherCaPem]),
            failing("plaintext to the TLS listener", ["--brokers", ssl]),
            failing("no client certificate", ["--brokers", mtls, "--tls-ca", certs.caPem]),
          ]);
          assert.match(untrusted.stderr, /TLS connection to Kafka at 127\.0\.0\.1:\d+ failed/);
          assert.match(untrusted.stderr, /--tls-ca/);
          assert.match(plain.stderr, /^error: /m);
          assert.match(noCert.stderr, /TLS connection to Kafka .* failed.*--tls-cert/);
        },
      );

      // Without a client certificate, kafkajs sees either the broker's alert or only the socket
      // it closed ("write after end"), depending on timing. The probe tells them apart.
      await t.step("the TLS probe names a missing client certificate, and only that", async () => {
        const ca = await Deno.readTextFile(certs.caPem);
        const withCert = {
          ca: [ca],
          cert: await Deno.readTextFile(certs.clientCertPem),
          key: await Deno.readTextFile(certs.clientKeyPem),
        };
        const refused = await probeTls(mtls, { ca: [ca] });
        assert.match(refused ?? "", /client certificate \(--tls-cert\/--tls-key\)/);
        assert.equal(await probeTls(mtls, withCert), undefined, "a client certificate is let in");
        assert.equal(await probeTls(ssl, { ca: [ca] }), undefined, "no certificate asked for");
        const closed = freePort();
        assert.equal(await probeTls(`127.0.0.1:${closed}`, {}), undefined, "nothing listening");

        // The racy case, forced: kafkajs reports only a closed socket.
        const writeAfterEnd = Object.assign(new Error("Connection error: write after end"), {
          name: "KafkaJSConnectionError",
        });
        const client = new KafkaClient({ brokers: mtls, ssl: { ca: [ca] } });
        await assert.rejects(
          connectWithin(
            client.brokers,
            5000,
            () => Promise.reject(writeAfterEnd),
            () => Promise.resolve(),
            () => client.diagnoseTls(),
          ),
          (e: unknown) =>
            e instanceof KafkaSecurityError && e.kind === "tls" &&
            /write after end/.test(e.message) && /--tls-cert/.test(e.message),
        );
        const plain = new KafkaClient({ brokers: broker.brokers });
        assert.equal(await plain.diagnoseTls(), undefined, "no TLS, nothing to probe");
      });

      for (const mechanism of ["scram-sha-256", "scram-sha-512"]) {
        await t.step(`SASL ${mechanism} with the right password`, async () => {
          await roundTrip(
            ["--brokers", sasl, "--sasl-mechanism", mechanism, "--sasl-username", "alice"],
            { KAFKA_SASL_PASSWORD: scram },
          );
        });
      }

      await t.step("SASL plain with --sasl-password", async () => {
        await roundTrip([
          "--brokers",
          sasl,
          "--sasl-mechanism",
          "plain",
          "--sasl-username",
          "bob",
          "--sasl-password",
          "bob-plain-secret",
        ]);
      });

      await t.step("a wrong password fails closed with a clear message", async () => {
        const topic = uniqueTopic("sec-wrong");
        const r = await cli(
          [
            "send",
            "--brokers",
            sasl,
            "--sasl-mechanism",
            "scram-sha-256",
            "--sasl-username",
            "alice",
            "--topic",
            topic,
          ],
          { KAFKA_SASL_PASSWORD: "not-the-password" },
        );
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, /refused the SASL credentials/);
        assert.doesNotMatch(r.stderr, /not-the-password/, "the password is not printed");
        assert.equal(await recordsIn(broker.brokers, topic), 0, "nothing was written");
        console.log(`wrong password: exit 1 after ${r.ms} ms: ${r.stderr.trim().split("\n")[0]}`);
      });

      await t.step(
        "loadtest over SASL_SSL: the workers' clients use TLS and SCRAM too",
        async () => {
          const topic = uniqueTopic("sec-load");
          const r = await cli(
            [
              "loadtest",
              "--brokers",
              secure,
              "--tls-ca",
              certs.caPem,
              "--sasl-mechanism",
              "scram-sha-256",
              "--sasl-username",
              "alice",
              "--topic",
              topic,
              "--events",
              "2000",
              "--workers",
              "1",
              "--senders-per-worker",
              "1",
            ],
            { KAFKA_SASL_PASSWORD: scram },
            90_000,
          );
          assert.equal(r.code, 0, r.stdout + r.stderr);
          assert.equal(await recordsIn(broker.brokers, topic), 2000);
        },
      );

      await t.step("train over SASL_SSL (SCRAM-SHA-512 + TLS) serves /weights", async () => {
        const topic = uniqueTopic("sec-train");
        const security = [
          "--brokers",
          secure,
          "--tls-ca",
          certs.caPem,
          "--sasl-mechanism",
          "scram-sha-512",
          "--sasl-username",
          "alice",
        ];
        const env = { KAFKA_SASL_PASSWORD: scram };
        const sent = await cli(["send", "--topic", topic, "--count", "20", ...security], env);
        assert.equal(sent.code, 0, sent.stderr);
        const stateDir = `${dir}/state`;
        const train = spawnTrain(secure, topic, {
          stateDir,
          group: uniqueGroup("sec"),
          args: [...security, "--trigger", "200ms"],
          env,
        });
        try {
          const w = await waitForWeights(train, (w) => w.events_trained === 20, 60_000);
          assert.equal(w.events_trained, 20);
        } finally {
          const exit = await train.stop("SIGINT");
          assert.equal(exit.code, 0, exit.stderr.slice(-2000));
        }
      });
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
