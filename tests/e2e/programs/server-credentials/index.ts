// A server credential (`loki.auth.password`) given as plain text in a ServerConfig, and the server's config read
// back by `ServerConfig.get`, `getServerConfigOutput` and `getServerConfig`, on the daemon named by stack config
// incus:socket (the test's private daemon). Stack config `password` unset drops the key from the program.
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();
const socket = new pulumi.Config("incus").require("socket");
// A plain string (`get`, not `getSecret`): the kind must keep the credential secret by itself.
const password = cfg.get("password");

const server = new incus.ServerConfig("server", {
  config: { "user.team": "ops", ...(password ? { "loki.auth.password": password } : {}) },
});
// Reads made after the resource's write (their arguments wait for it).
const looked = incus.ServerConfig.get("looked", server.id);
const lookup = incus.getServerConfigOutput({ socket: server.claim.apply(() => socket) });
const promised = server.claim.apply(() => incus.getServerConfig());

export const resourceConfig = server.config;
export const previousConfig = server.previousConfig;
export const getConfig = looked.config;
export const lookupConfig = lookup.config;
export const promiseTeam = promised.apply((r) => r.config["user.team"]);
export const promiseKeys = promised.apply((r) => Object.keys(r.config).sort());
