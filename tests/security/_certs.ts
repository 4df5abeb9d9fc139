/**
 * Test certificates made at test time with Java's `keytool` (and nothing else): a CA, a broker
 * key pair signed by it (SAN `IP:127.0.0.1`, `DNS:localhost`) in a PKCS12 keystore for the
 * broker, the CA certificate as PEM for the Deno client, a second, unrelated CA (PEM) that
 * must not be trusted, a truststore holding the CA for a broker that checks client certificates,
 * and a client certificate signed by the CA with its key as PEM (the key converted by `openssl
 * pkcs12`, since keytool does not write private keys as PEM).
 *
 * @module
 */

import { requireTool } from "../_helpers/tools.ts";

/** The files {@linkcode makeTestCertificates} wrote. */
export interface TestCertificates {
  /** The directory holding them. */
  dir: string;
  /** The CA certificate (PEM) that signed the broker's certificate. */
  caPem: string;
  /** Another CA's certificate (PEM): it did not sign the broker's certificate. */
  otherCaPem: string;
  /** The broker's PKCS12 keystore (key, certificate, chain). */
  brokerKeystore: string;
  /** A PKCS12 truststore holding the CA (for `ssl.truststore.location`). */
  truststore: string;
  /** A client certificate signed by the CA (PEM). */
  clientCertPem: string;
  /** Its private key (PEM, PKCS#8, unencrypted). */
  clientKeyPem: string;
  /** The keystores' password. */
  password: string;
}

async function run(command: string, args: string[], hint: string): Promise<Uint8Array> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (cause) {
    throw new Error(`${command} is needed to make the test certificates: ${hint}`, { cause });
  }
  if (!out.success) {
    throw new Error(
      `${command} ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}${
        new TextDecoder().decode(out.stdout)
      }`,
    );
  }
  return out.stdout;
}

async function keytool(args: string[]): Promise<void> {
  await run("keytool", args, "apt-get install -y openjdk-17-jdk-headless");
}

/** Makes the certificates in `dir` (created if missing). */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  await Deno.mkdir(dir, { recursive: true });
  const password = "test-store-pass";
  const store = (name: string) => [
    "-keystore",
    `${dir}/${name}.p12`,
    "-storetype",
    "PKCS12",
    "-storepass",
    password,
  ];
  const ca = async (name: string) => {
    await keytool([
      "-genkeypair",
      "-alias",
      "ca",
      "-keyalg",
      "RSA",
      "-keysize",
      "2048",
      "-dname",
      `CN=${name}`,
      "-ext",
      "bc:c",
      "-ext",
      "KU=keyCertSign,cRLSign",
      "-validity",
      "2",
      ...store(name),
      "-keypass",
      password,
    ]);
    await keytool([
      "-exportcert",
      "-alias",
      "ca",
      "-rfc",
      "-file",
      `${dir}/${name}.pem`,
      ...store(name),
    ]);
  };
  await ca("test-ca");
  await ca("other-ca");
  await keytool([
    "-genkeypair",
    "-alias",
    "broker",
    "-keyalg",
    "RSA",
    "-keysize",
    "2048",
    "-dname",
    "CN=localhost",
    "-validity",
    "2",
    ...store("broker"),
    "-keypass",
    password,
  ]);
  await keytool(["-certreq", "-alias", "broker", "-file", `${dir}/broker.csr`, ...store("broker")]);
  await keytool([
    "-gencert",
    "-alias",
    "ca",
    "-infile",
    `${dir}/broker.csr`,
    "-outfile",
    `${dir}/broker.crt`,
    "-rfc",
    "-validity",
    "2",
    "-ext",
    "SAN=ip:127.0.0.1,dns:localhost",
    "-ext",
    "KU=digitalSignature,keyEncipherment",
    "-ext",
    "EKU=serverAuth",
    ...store("test-ca"),
  ]);
  await keytool([
    "-importcert",
    "-alias",
    "ca",
    "-file",
    `${dir}/test-ca.pem`,
    "-noprompt",
    ...store("broker"),
  ]);
  await keytool([
    "-importcert",
    "-alias",
    "broker",
    "-file",
    `${dir}/broker.crt`,
    ...store("broker"),
  ]);
  await keytool([
    "-importcert",
    "-alias",
    "ca",
    "-file",
    `${dir}/test-ca.pem`,
    "-noprompt",
    ...store("truststore"),
  ]);
  // The client: a key pair signed by the CA for client authentication.
  await keytool([
    "-genkeypair",
    "-alias",
    "client",
    "-keyalg",
    "RSA",
    "-keysize",
    "2048",
    "-dname",
    "CN=clickstream-client",
    "-validity",
    "2",
    ...store("client"),
    "-keypass",
    password,
  ]);
  await keytool(["-certreq", "-alias", "client", "-file", `${dir}/client.csr`, ...store("client")]);
  await keytool([
    "-gencert",
    "-alias",
    "ca",
    "-infile",
    `${dir}/client.csr`,
    "-outfile",
    `${dir}/client.pem`,
    "-rfc",
    "-validity",
    "2",
    "-ext",
    "KU=digitalSignature,keyEncipherment",
    "-ext",
    "EKU=clientAuth",
    ...store("test-ca"),
  ]);
  const key = new TextDecoder().decode(
    await run(await requireTool("openssl"), [
      "pkcs12",
      "-in",
      `${dir}/client.p12`,
      "-passin",
      `pass:${password}`,
      "-nocerts",
      "-nodes",
    ], "apt-get install -y openssl"),
  );
  await Deno.writeTextFile(`${dir}/client-key.pem`, key.slice(key.indexOf("-----BEGIN")));
  return {
    dir,
    caPem: `${dir}/test-ca.pem`,
    otherCaPem: `${dir}/other-ca.pem`,
    brokerKeystore: `${dir}/broker.p12`,
    truststore: `${dir}/truststore.p12`,
    clientCertPem: `${dir}/client.pem`,
    clientKeyPem: `${dir}/client-key.pem`,
    password,
  };
}
