// Starts the fauxqs SQS emulator for a test: in memory, on 127.0.0.1 only, port FAUXQS_PORT,
// without request logging. (fauxqs's own dist/cli.js listens on 0.0.0.0, and on a Node.js older
// than 22.5 it does not load at all, because dist/persistence.js imports node:sqlite; the tests
// never persist, so a stub stands in for node:sqlite there.) Prints "fauxqs listening on <url>"
// once it accepts connections. See docs/AWS.md.
import { register } from "node:module";

const port = Number.parseInt(process.env.FAUXQS_PORT ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("fauxqs-loopback: FAUXQS_PORT must be a port number");
  process.exit(2);
}

let hasSqlite = true;
try {
  await import("node:sqlite");
} catch {
  hasSqlite = false;
}
if (!hasSqlite) {
  const stub =
    'export class DatabaseSync { constructor() { throw new Error("node:sqlite needs Node.js >= 22.5"); } }';
  const hooks =
    "export async function resolve(specifier, context, next) {" +
    '  if (specifier === "node:sqlite") return { url: ' +
    JSON.stringify("data:text/javascript," + encodeURIComponent(stub)) +
    ", shortCircuit: true };" +
    "  return next(specifier, context);" +
    "}";
  register("data:text/javascript," + encodeURIComponent(hooks));
}

const dist = new URL("./node_modules/fauxqs/dist/", import.meta.url);
const { buildApp } = await import(new URL("app.js", dist));
const { SqsStore } = await import(new URL("sqs/sqsStore.js", dist));
const { SnsStore } = await import(new URL("sns/snsStore.js", dist));
const { S3Store } = await import(new URL("s3/s3Store.js", dist));

const app = buildApp({
  logger: false,
  defaultRegion: process.env.FAUXQS_DEFAULT_REGION,
  stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() },
});
const address = await app.listen({ port, host: "127.0.0.1" });
console.log(`fauxqs listening on ${address}`);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => app.close().then(() => process.exit(0)));
}
