// Five suites: unit (no daemon), integration (real Incus daemon), e2e (real Pulumi engine + real daemon), faults (real
// engine against a dedicated daemon of their own, which they kill, hang and restart), cluster (a private Incus
// cluster per file, tests/cluster/cluster.ts).
const common = {
  preset: "ts-jest",
  testEnvironment: "node",
  moduleNameMapper: { "^pulumi-incus$": "<rootDir>/sdk/index.ts", "^pulumi-incus/provider$": "<rootDir>/provider/index.ts" },
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.test.json" }] },
};
module.exports = {
  projects: [
    // 30 s, not Jest's 5: a unit test that first imports the whole SDK compiles it (ts-jest), which took over 5 s at a
    // load average of 30.
    { ...common, displayName: "unit", testMatch: ["<rootDir>/tests/unit/**/*.test.ts"], testTimeout: 30_000 },
    // 60 s unless a file sets its own: a test against the real daemon (an image upload, a container start) took over
    // Jest's 5 s at a load average of 30, which failed it without anything being wrong.
    { ...common, displayName: "integration", testMatch: ["<rootDir>/tests/integration/**/*.test.ts"], testTimeout: 60_000 },
    { ...common, displayName: "e2e", testMatch: ["<rootDir>/tests/e2e/**/*.test.ts"] },
    // Against a private LXD 5.0.2 (scripts/setup-lxd.sh, tests/lxd/daemon.ts).
    { ...common, displayName: "lxd", testMatch: ["<rootDir>/tests/lxd/**/*.test.ts"], testTimeout: 60_000 },
    {
      ...common,
      displayName: "faults",
      testMatch: ["<rootDir>/tests/faults/**/*.test.ts"],
    },
    { ...common, displayName: "cluster", testMatch: ["<rootDir>/tests/cluster/**/*.test.ts"] },
  ],
};
