import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["conformance.test.mjs"],
    testTimeout: 20000,
    hookTimeout: 20000,
    // One file, one server: nothing to gain from parallel files.
    fileParallelism: false,
    passWithNoTests: false,
    watch: false,
  },
});
