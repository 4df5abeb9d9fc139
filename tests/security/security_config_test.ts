/**
 * The TLS and SASL settings of every Kafka command: flags over the environment, PEM files read
 * once by `resolveConfig`, clear usage errors, and the kafkajs options `clientFor` builds (the
 * certificate is always verified).
 *
 * @module
 */

import assert from "node:assert/strict";
import { resolveConfig, UsageError } from "../../src/config.ts";
import { kafkaSecurity } from "../../src/cli/kafka_client.ts";
import { isAuthenticationError, isTlsError, KafkaSecurityError } from "../../src/kafka/client.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

Deno.test("resolveConfig() reads the TLS files and SASL settings of every Kafka command", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const ca = `${dir}/ca.pem`;
    await Deno.writeTextFile(ca, PEM);
    await t.step("no flags: plaintext, no SASL", () => {
      const c = resolveConfig(["send"], {});
      assert.ok(c.command === "send");
      assert.equal(c.tls, null);
      assert.equal(c.sasl, null);
    });
    for (const command of ["send", "consume", "train", "loadtest", "demo"]) {
      await t.step(`${command}: --tls-ca implies TLS and holds the PEM text`, () => {
        const c = resolveConfig([command, "--tls-ca", ca], {});
        assert.ok("tls" in c);
        assert.deepEqual(c.tls, { ca: PEM, cert: null, key: null });
      });
    }
    await t.step("the environment: KAFKA_TLS=1, KAFKA_TLS_CA, KAFKA_SASL_*", () => {
      const c = resolveConfig(["consume"], {
        KAFKA_TLS: "1",
        KAFKA_TLS_CA: ca,
        KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
        KAFKA_SASL_USERNAME: "alice",
        KAFKA_SASL_PASSWORD: "pw",
      });
      assert.ok(c.command === "consume");
      assert.deepEqual(c.tls, { ca: PEM, cert: null, key: null });
      assert.deepEqual(c.sasl, { mechanism: "scram-sha-512", username: "alice", password: "pw" });
    });
    await t.step("--tls alone: TLS with the system's trust store", () => {
      const c = resolveConfig(["topics", "list", "--tls"], {});
      assert.ok(c.command === "topics");
      assert.deepEqual(c.tls, { ca: null, cert: null, key: null });
    });
    await t.step("flags win over the environment", () => {
      const c = resolveConfig(
        ["send", "--sasl-mechanism", "plain", "--sasl-username", "bob", "--sasl-password", "a"],
        {
          KAFKA_SASL_MECHANISM: "scram-sha-256",
          KAFKA_SASL_USERNAME: "x",
          KAFKA_SASL_PASSWORD: "b",
        },
      );
      assert.ok(c.command === "send");
      assert.deepEqual(c.sasl, { mechanism: "plain", username: "bob", password: "a" });
    });
    await t.step("usage errors name the flag", () => {
      const bad: [string[], Record<string, string>, RegExp][] = [
        [["send", "--tls-ca", `${dir}/missing.pem`], {}, /--tls-ca .*cannot read/],
        [["send", "--tls-ca", `${dir}`], {}, /--tls-ca/],
        [["send", "--tls-cert", ca], {}, /--tls-cert and --tls-key go together/],
        [["send", "--sasl-mechanism", "gssapi", "--sasl-username", "a"], {}, /--sasl-mechanism/],
        [["send", "--sasl-mechanism", "plain", "--sasl-username", "a"], {}, /password/],
        [["send", "--sasl-mechanism", "plain"], { KAFKA_SASL_PASSWORD: "x" }, /--sasl-username/],
        [["send", "--sasl-username", "a"], {}, /need --sasl-mechanism/],
      ];
      for (const [argv, env, message] of bad) {
        assert.throws(() => resolveConfig(argv, env), (e: unknown) => {
          assert.ok(e instanceof UsageError, String(e));
          assert.match(e.message, message);
          return true;
        });
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kafkaSecurity() always verifies the broker's certificate", () => {
  assert.deepEqual(kafkaSecurity({ tls: null, sasl: null }), {});
  assert.deepEqual(kafkaSecurity({ tls: { ca: PEM, cert: null, key: null }, sasl: null }), {
    ssl: { rejectUnauthorized: true, ca: [PEM] },
  });
  assert.deepEqual(
    kafkaSecurity({
      tls: { ca: null, cert: "C", key: "K" },
      sasl: { mechanism: "scram-sha-256", username: "u", password: "p" },
    }),
    {
      ssl: { rejectUnauthorized: true, cert: "C", key: "K" },
      sasl: { mechanism: "scram-sha-256", username: "u", password: "p" },
    },
  );
});

Deno.test("KafkaSecurityError tells a refused password from an untrusted certificate", () => {
  const auth = {
    name: "KafkaJSSASLAuthenticationError",
    message: "SASL SCRAM SHA256 authentication failed",
  };
  assert.ok(isAuthenticationError({ name: "KafkaJSNonRetriableError", originalError: auth }));
  assert.ok(!isTlsError({ name: "KafkaJSConnectionError", message: "connect ECONNREFUSED" }));
  assert.ok(
    isTlsError({
      name: "KafkaJSConnectionError",
      message: "invalid peer certificate: UnknownIssuer",
    }),
  );
  const e = new KafkaSecurityError(["127.0.0.1:1"], "authentication", "bad");
  assert.match(e.message, /refused the SASL credentials: bad/);
  assert.match(new KafkaSecurityError(["h:1"], "tls", "x").message, /--tls-ca/);
});
