// Runs the official Durable Streams server conformance suite against the
// server at STREAMKEEPER_URL (normally started by run-conformance.sh).
import { runConformanceTests } from "@durable-streams/server-conformance-tests";

const baseUrl = process.env.STREAMKEEPER_URL;
if (!baseUrl) {
  throw new Error(
    "STREAMKEEPER_URL is not set; use run-conformance.sh <binary> <memory|rocksdb>, " +
      "or export STREAMKEEPER_URL=http://127.0.0.1:<port> for a server you started",
  );
}

runConformanceTests({ baseUrl });
