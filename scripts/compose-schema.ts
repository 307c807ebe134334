// The plugin schema's one component, `incus:compose:Stack` (provider/plugin/compose.ts serves it); written into the
// schema by scripts/generate-schema.ts.
type Spec = Record<string, unknown>;

/**
 * `incus:compose:Stack`, the ComposeStack component the plugin serves (Construct): the TypeScript component's args
 * (sdk/compose/plan.ts PlanInput, stack.ts) and outputs, with the same docs.
 */
export function composeComponent(types: Record<string, Spec>): Spec {
  const str = (description: string) => ({ type: "string", description });
  const strings = { type: "array", items: { type: "string" } };
  types["incus:compose:Service"] = {
    type: "object",
    description: "What the stack reports per compose service.",
    properties: {
      instances: { ...strings, description: "Incus instance names, one per replica (`<service>-<n>`)." },
      ipv4Addresses: { type: "array", items: strings, description: "Global IPv4 addresses of each instance, in the same order." },
      ipv6Addresses: { type: "array", items: strings, description: "Global IPv6 addresses of each instance, in the same order." },
    },
    required: ["instances", "ipv4Addresses", "ipv6Addresses"],
  };
  return {
    isComponent: true,
    description:
      "A compose file (docker-compose.yml) on Incus: one project, its default profile, a network per compose network, a storage volume per named volume and an instance per service replica, ordered by `depends_on`. The file is read and checked at preview: every error names its path, before any request.",
    inputProperties: {
      file: str(
        "Path of the compose file (relative paths are from the program's folder; `${pulumi.cwd}/compose.yaml` in YAML). Relative paths in the file are from its own folder.",
      ),
      compose: { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" }, description: "The compose document itself, instead of `file`." },
      dir: str("Folder for relative paths and `.env` when `compose` is given (default: the program's folder)."),
      variables: {
        type: "object",
        additionalProperties: { type: "string" },
        description: "Variables for interpolation; they win over the process environment, which wins over `.env`.",
      },
      envFile: str("An env file instead of `<folder>/.env` (missing `.env` is fine; a missing file given here is an error)."),
      project: str("The Incus project's name, instead of the file's `name:`."),
      remote: str("The Incus remote (from the incus CLI's config.yml) (default: the stack's `incus:*` config, then the CLI's)."),
      socket: str("An explicit unix socket of the Incus daemon; wins over `remote`."),
      configDir: str("The incus CLI's config directory."),
    },
    properties: {
      projectName: str("The Incus project holding the stack."),
      services: {
        type: "object",
        additionalProperties: { $ref: "#/types/incus:compose:Service" },
        description: "Per compose service: its instances and their addresses.",
      },
    },
    required: ["projectName", "services"],
  };
}
