// Starts the Durable Streams reference server (@durable-streams/server) on a
// loopback port for benchmarking. Usage:
//   node serve.mjs --port P [--data-dir DIR] [--long-poll-timeout-ms N]
//                  [--module-dir DIR]
// Without --data-dir the server keeps streams in memory; with it, the server
// uses its file-backed store in DIR. --module-dir names the node_modules
// directory that holds @durable-streams/server (default: the one installed for
// tests/conformance). Prints "listening <url>" once ready; stops on SIGTERM/SIGINT.
import { parseArgs } from "node:util";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4437" },
    "data-dir": { type: "string" },
    "long-poll-timeout-ms": { type: "string", default: "10000" },
    "module-dir": {
      type: "string",
      default: path.join(here, "..", "..", "tests", "conformance", "node_modules"),
    },
  },
});

const entry = path.join(values["module-dir"], "@durable-streams", "server", "dist", "index.js");
const { DurableStreamTestServer } = await import(pathToFileURL(entry).href);

const server = new DurableStreamTestServer({
  host: "127.0.0.1",
  port: Number(values.port),
  longPollTimeout: Number(values["long-poll-timeout-ms"]),
  dataDir: values["data-dir"],
});
const url = await server.start();
console.log(`listening ${url}`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
