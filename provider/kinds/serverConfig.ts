// ServerConfig: the server's own config (`/1.0`), one per server. It is never created or deleted: the program's keys
// are applied, keys it does not name stay as they are, and a key it drops (or destroy, for every key it manages) goes
// back to what it had before the stack took it over (kept in state, secret: server keys hold passwords and keys).
// A claim key in the server config (`user.pulumi-incus.server-config`) makes a second ServerConfig for the same
// server, in this stack or another, fail at create instead of silently fighting over the keys.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { configValue } from "../engine/inputs";
import { type Context, defineKind, type Live, liveMap } from "../engine/kind";
import { markValue, newClaim, parseMark, resourceOf } from "../engine/ownership";
import { globalFields } from "./common";

/** Server config keys of Incus 6.0 (GET /1.0/metadata/configuration), plus free-form `user.*` keys. */
const SERVER_KEYS = new Set(
  [
    "acme.agree_tos acme.ca_url acme.challenge acme.domain acme.email acme.http.port acme.provider acme.provider.environment acme.provider.resolvers",
    "authorization.scriptlet backups.compression_algorithm",
    "cluster.healing_threshold cluster.https_address cluster.images_minimal_replica cluster.join_token_expiry cluster.max_standby cluster.max_voters",
    "cluster.offline_threshold cluster.rebalance.batch cluster.rebalance.cooldown cluster.rebalance.interval cluster.rebalance.threshold",
    "core.bgp_address core.bgp_asn core.bgp_routerid core.debug_address core.dns_address core.https_address core.https_allowed_credentials",
    "core.https_allowed_headers core.https_allowed_methods core.https_allowed_origin core.https_trusted_proxy core.metrics_address",
    "core.metrics_authentication core.proxy_http core.proxy_https core.proxy_ignore_hosts core.remote_token_expiry core.shutdown_timeout",
    "core.storage_buckets_address core.syslog_socket core.trust_ca_certificates",
    "images.auto_update_cached images.auto_update_interval images.compression_algorithm images.default_architecture images.remote_cache_expiry",
    "instances.lxcfs.per_instance instances.nic.host_name instances.placement.scriptlet",
    "loki.api.ca_cert loki.api.url loki.auth.password loki.auth.username loki.instance loki.labels loki.loglevel loki.types",
    "network.ovn.ca_cert network.ovn.client_cert network.ovn.client_key network.ovn.integration_bridge network.ovn.northbound_connection",
    "network.ovs.connection oidc.audience oidc.claim oidc.client.id oidc.issuer oidc.scopes openfga.api.token openfga.api.url openfga.store.id",
    "storage.backups_volume storage.images_volume",
  ].flatMap((l) => l.split(" ")),
);

/**
 * Server keys whose values are credentials, or may hold some: passwords, private keys, tokens, an OIDC client's
 * settings, the ACME DNS provider's environment (its API keys) and proxy URLs (`http://user:password@proxy`). They
 * are secret wherever they appear: state, outputs, `ServerConfig.get`, the lookups, preview lines and messages.
 */
export const CREDENTIAL_KEYS = [
  "acme.provider.environment",
  "core.proxy_http",
  "core.proxy_https",
  "loki.auth.username",
  "loki.auth.password",
  "network.ovn.client_key",
  ...[...SERVER_KEYS].filter((k) => k.startsWith("oidc.")),
  "openfga.api.token",
];

/** The key the provider claims the server's config with (never the program's). */
export const CLAIM_KEY = "user.pulumi-incus.server-config";

const serverKey = z.string().refine((k) => SERVER_KEYS.has(k) || (k.startsWith("user.") && k.length > 5 && k !== CLAIM_KEY), {
  message: "not a server config key of Incus 6.0 (core.*, images.*, acme.*, loki.*, oidc.*, …; or a `user.*` key of your own)",
});

export const serverConfigSchema = z.strictObject({
  name: z.string().min(1).describe("Only a label in Pulumi (there is one server config per server). Default: the Pulumi logical name."),
  remote: globalFields().remote,
  socket: globalFields().socket,
  configDir: globalFields().configDir,
  config: z
    .record(serverKey, configValue.nullable())
    .transform((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== null && v !== "")) as Record<string, string>)
    .optional()
    .describe(
      "Server config keys to set, e.g. `core.https_address`, `images.auto_update_interval`; numbers and booleans are sent as strings. Keys not named here are left alone; a key dropped from here, and on destroy every key, goes back to what it had before the stack took it over (unset if it had nothing). Credential keys (`loki.auth.password`, `oidc.*`, `network.ovn.client_key`, `openfga.api.token`, …) are secret even when given as plain text.",
    ),
});
export type ServerConfigInputs = z.output<typeof serverConfigSchema> & { previousConfig?: Record<string, string | null>; claim?: string };

/** Keys the program names, each with the value the server had before the stack took it over (null: unset). */
function takeOver(previous: Record<string, string | null> | undefined, declared: Record<string, string> | undefined, before: Record<string, string>) {
  const out: Record<string, string | null> = {};
  for (const key of Object.keys(declared ?? {})) out[key] = previous && key in previous ? previous[key] : (before[key] ?? null);
  return out;
}

/**
 * Whether the claim on the server's config is this resource's own from a create that was interrupted before Pulumi
 * recorded it (the claim names the same owner, and no resource of the stack records the config yet).
 */
function ownInterruptedClaim(ctx: Context, live: Live): boolean {
  const holder = parseMark(liveMap(live.config)[CLAIM_KEY]);
  return !!ctx.owner && holder?.owner === ctx.owner && !ctx.isRecorded?.("/1.0");
}

function claimedBy(ctx: Context, live: Live, claim: string | undefined): void {
  const holder = liveMap(live.config)[CLAIM_KEY];
  if (holder && holder !== claim) {
    const mark = parseMark(holder);
    const who = mark && mark.owner.includes("::") ? resourceOf(mark.owner) : `ServerConfig "${holder.split("/")[0]}"`;
    throw new Error(
      `the server's config is already managed by ${who} (claim ${CLAIM_KEY}=${holder}); ` +
        "declare one ServerConfig per server (put all keys in it). If that resource no longer exists, remove the claim: " +
        `incus config unset ${CLAIM_KEY}`,
    );
  }
}

export const serverConfig = defineKind({
  type: "ServerConfig",
  schema: serverConfigSchema as z.ZodType<ServerConfigInputs, any>,
  scoped: false,
  path: () => "/1.0",
  nameIsLabel: true,
  renamable: false,
  configKeys: { config: "server" },
  // The config map carries no owner mark (an interrupted create leaves nothing to recognise: the object always exists).
  mark: { field: "" },
  fields: {
    // PUT /1.0 resets a left-out key only if Incus knows it; a `user.*` key stays until it is sent as "".
    config: {
      mode: "update",
      empty: {},
      onlyDeclared: true,
      unsetAs: "",
      serverKeys: (k) => k === CLAIM_KEY,
      restoreDropped: (olds) => olds.previousConfig as Record<string, string | null> | undefined,
      secretKeys: CREDENTIAL_KEYS,
    },
  },
  outputKeys: ["previousConfig", "claim"],
  secretOutputs: ["previousConfig"],
  // What was there before this stack took the keys over: a lookup has no such thing.
  stackOutputs: ["previousConfig"],
  outputs: (live, inputs) => ({
    // Keys declared now that were not recorded during the write had the value they have now.
    previousConfig: takeOver(inputs.previousConfig, inputs.config, liveMap(live.config)),
    claim: inputs.claim ?? null,
  }),

  // "Create" takes the keys over: one guarded read-modify-write that also records what they were and claims the config.
  // The claim is the resource's owner mark when the stack marks its objects, so that after a run killed in the middle
  // the next create of the same resource knows the claim as its own; otherwise a random one.
  async create(ctx, inputs) {
    const claim = ctx.owner ? markValue(ctx.owner, newClaim()) : `${inputs.name}/${randomUUID()}`;
    let previousConfig: Record<string, string | null> = {};
    let resumed = false;
    await ctx.client.update<Live>(
      "/1.0",
      (live) => {
        resumed = ownInterruptedClaim(ctx, live);
        if (!resumed) claimedBy(ctx, live, undefined);
        const have = liveMap(live.config);
        // After an interrupted create the keys may hold the program's values already and what they had before is
        // gone with that run: their current values are what destroy leaves (it changes nothing it cannot justify).
        previousConfig = takeOver(undefined, inputs.config, have);
        return { config: { ...have, ...inputs.config, [CLAIM_KEY]: claim } };
      },
      { project: null },
    );
    if (resumed) {
      console.log(
        `${ctx.type} "${inputs.name}": the claim on the server's config is this resource's own, left by an interrupted run; taking it over ` +
          "(the values its keys had before that run are not known: destroy leaves them as they are now)",
      );
    }
    return { previousConfig, claim };
  },

  // Before a PUT that takes over more keys, their current values are what destroy puts back; a dropped key's record
  // goes (it gets its earlier value back in this PUT). `before` is the state the engine stores after the write.
  async aroundUpdate(ctx, before, _after, live) {
    claimedBy(ctx, live, before.claim);
    before.previousConfig = takeOver(before.previousConfig, before.config, liveMap(live.config));
    return undefined;
  },

  async delete(ctx, inputs) {
    const previous = inputs.previousConfig ?? {};
    await ctx.client.update<Live>(
      "/1.0",
      (live) => {
        const config = { ...liveMap(live.config) };
        // "" unsets (a left-out user.* key would stay).
        for (const [key, value] of Object.entries(previous)) config[key] = value ?? "";
        if (config[CLAIM_KEY] === inputs.claim) config[CLAIM_KEY] = "";
        return { config };
      },
      { project: null },
    );
  },
  docs: {
    summary:
      "The server's own config (`/1.0`), one per server: the program's keys are applied and the others left alone; destroy puts back what each key had before the stack took it over.",
    outputs: {
      previousConfig: "Each managed key with the value it had before the stack took it over (null: unset); what a dropped key and destroy put back. Secret.",
      claim: `The value of \`${CLAIM_KEY}\` by which this resource claims the server's config.`,
    },
    outputTypes: { previousConfig: "Record<string, string | null>", claim: "string" },
    table: { identity: "the server (`/1.0`), one per server", inPlace: "(only the keys the program names)" },
  },
  example: {
    args: { name: "server", config: { "images.auto_update_interval": "6" } },
    program: `
const server = new incus.ServerConfig("server", {
  config: { "images.auto_update_interval": 6 },
});
`,
  },
});
