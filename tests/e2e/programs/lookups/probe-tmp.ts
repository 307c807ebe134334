import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";
const missing = new pulumi.Config().get("missingProfile");
const m = missing ? incus.getProfileOutput({ name: missing }) : undefined;
export const missingDescription = m?.description;
