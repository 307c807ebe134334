// A client certificate the provider generates (its key a secret output) and the server's own config, on the daemon
// named by stack config incus:socket (the test's private daemon: both kinds are server-wide).
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

const cfg = new pulumi.Config();

const server = new incus.ServerConfig("server", {
  config: { "images.auto_update_interval": cfg.get("interval") ?? "0", "user.team": cfg.get("team") ?? "ops" },
});

const client = new incus.Certificate("ci-client", {
  description: cfg.get("description") ?? "ci runner",
  validDays: 30,
});

export const fingerprint = client.fingerprint;
export const certificate = client.certificate;
export const privateKey = client.privateKey;
export const previousConfig = server.previousConfig;
