#!/usr/bin/env node
// Prints what the test suites must leave as they found it on the daemon: the default project's default profile
// and images, the server config, the trust store, and the lists of projects, networks and storage pools.
// scripts/test.sh compares a snapshot from before the tests with one from after.
const { execFileSync } = require("node:child_process");

const query = (path) => JSON.parse(execFileSync("incus", ["query", path], { encoding: "utf8" }));
const names = (urls) => urls.map((u) => decodeURIComponent(u.split("/").pop())).sort();
const profile = query("/1.0/profiles/default");
const snapshot = {
  defaultProfile: { description: profile.description, config: profile.config, devices: profile.devices },
  defaultProjectImages: names(query("/1.0/images")),
  serverConfig: query("/1.0").config,
  certificates: names(query("/1.0/certificates")),
  projects: names(query("/1.0/projects")),
  networks: names(query("/1.0/networks")),
  storagePools: names(query("/1.0/storage-pools")),
};
console.log(JSON.stringify(snapshot, null, 1));
