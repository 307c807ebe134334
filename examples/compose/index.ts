// A compose file on Incus: `ComposeStack` reads compose.yaml (and .env beside it), checks it and declares the
// project, profile, network, volume and instances it describes. The secret comes from the environment or .env:
// DB_PASSWORD=… pulumi up.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

// compose.yaml sits beside this file's source; the compiled file runs from dist/examples/compose in this repository.
const here = fs.existsSync(path.join(__dirname, "compose.yaml")) ? __dirname : path.resolve(__dirname, "../../../examples/compose");
const cfg = new pulumi.Config();
const app = new incus.ComposeStack("app", { file: path.resolve(here, cfg.get("file") ?? "compose.yaml"), project: cfg.get("project") });

export const project = app.projectName;
export const services = app.services;
