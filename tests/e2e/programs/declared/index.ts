// Builds the resources listed in stack config `resources` (JSON): [{ kind, name, args, dependsOn? }].
// A string "$ref:<name>.<output>" in args becomes that resource's output, so resources wire up as in real programs;
// "$secretConfig:<key>" becomes the secret stack config value `key` (an Output marked secret, as programs get secrets).
import * as pulumi from "@pulumi/pulumi";
import * as incus from "pulumi-incus";

interface Declared {
  kind: keyof typeof incus;
  name: string;
  args: Record<string, unknown>;
  dependsOn?: string[];
}

const made: Record<string, pulumi.CustomResource> = {};
const config = new pulumi.Config();

function resolveRefs(value: unknown): unknown {
  if (typeof value === "string" && value.startsWith("$secretConfig:")) return config.requireSecret(value.slice("$secretConfig:".length));
  if (typeof value === "string" && value.startsWith("$ref:")) {
    const [name, output] = value.slice(5).split(".");
    const target = made[name] as unknown as Record<string, pulumi.Output<unknown>>;
    if (!target) throw new Error(`$ref to ${name}, which is not declared before it`);
    return target[output];
  }
  if (Array.isArray(value)) return value.map(resolveRefs);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveRefs(v)]));
  return value;
}

const declared = config.requireObject<Declared[]>("resources");
for (const d of declared) {
  const Kind = incus[d.kind] as unknown as new (name: string, args: unknown, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;
  made[d.name] = new Kind(d.name, resolveRefs(d.args), { dependsOn: (d.dependsOn ?? []).map((n) => made[n]) });
}

export const ids = Object.fromEntries(Object.entries(made).map(([n, r]) => [n, r.id]));
