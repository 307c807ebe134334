// Entry point of the `incus` resource provider plugin (`pulumi-resource-incus` runs it with node). It serves the
// plugin (provider.ts) with `@pulumi/pulumi/provider`'s `main()`, replacing two of its protocol handlers:
// - Configure: the stock one drops the provider's config; this one hands `incus:*` to the engine's `configure`, and
//   tells the engine the plugin takes secrets (marked values) but neither resource references nor output values.
// - Diff: the stock one forwards only changes/replaces; this one adds the per-property detailed diff.
// - Read: one with no inputs (`pulumi import`, or a YAML `get:`, which Pulumi sends alike) goes to the plugin's
//   importObject, whose answer carries the inputs an import needs (the stock handler has no way to send them).
// - Invoke: a failed lookup answers its message only, with no stack on stderr (invoke.ts).
// What the engine prints for a resource (drift lines, adopt previews, a command's progress) goes to the Pulumi
// engine's log under that resource, as it does for a dynamic provider (a plugin's stdout is not shown).
import { AsyncLocalStorage } from "node:async_hooks";
import * as path from "node:path";
import { format } from "node:util";
import * as provider from "@pulumi/pulumi/provider";
import { configure } from "../engine/connection";
import { invokeHandler } from "./invoke";
import { incusPlugin, reveal } from "./provider";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
// The gRPC module and protocol messages @pulumi/pulumi itself uses (one copy, so `addService` is the one it calls).
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engproto = require("@pulumi/pulumi/proto/engine_pb");
const structproto = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));

/** The resource a call is for, so console output during it is logged under that resource. */
const current = new AsyncLocalStorage<string>();

function logToEngine(engineAddress: string | undefined): void {
  if (!engineAddress) return;
  let client: any;
  const print = console.log;
  console.log = (...args: unknown[]) => {
    const urn = current.getStore();
    if (!urn) return print(...args);
    client ??= new engrpc.EngineClient(engineAddress, grpc.credentials.createInsecure());
    const req = new engproto.LogRequest();
    req.setSeverity(engproto.LogSeverity.INFO);
    req.setMessage(format(...args));
    req.setUrn(urn);
    client.log(req, (err: unknown) => {
      if (err && process.env.PULUMI_INCUS_DEBUG) process.stderr.write(`log: ${err}\n`);
    });
  };
}

/** The plugin with each resource call run under its URN (see logToEngine). */
function underUrn<T extends object>(plugin: T): T {
  const out: Record<string, unknown> = { ...(plugin as Record<string, unknown>) };
  for (const [name, urnAt] of Object.entries({ check: 0, diffDetailed: 1, create: 0, read: 1, importObject: 1, update: 1, delete: 1 })) {
    const fn = (plugin as Record<string, unknown>)[name];
    if (typeof fn === "function") out[name] = (...args: unknown[]) => current.run(String(args[urnAt]), () => fn(...args));
  }
  out.diff = out.diffDetailed;
  return out as T;
}

const SETTINGS = ["remote", "project", "socket", "configDir", "server", "timeout", "reconnectTimeout", "markOwner"] as const;

/** `incus:*` settings from a Configure request: `args` (newer engines) or the `variables` map (`incus:config:remote`). */
function settingsOf(request: any): Record<string, string | undefined> {
  const args = (reveal(request.getArgs()?.toJavaScript() ?? {}).value ?? {}) as Record<string, unknown>;
  const variables = request.getVariablesMap();
  const out: Record<string, string | undefined> = {};
  for (const key of SETTINGS) {
    const v = args[key] ?? variables.get(`incus:config:${key}`) ?? variables.get(`incus:${key}`);
    out[key] = v === undefined || v === null ? undefined : typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

const KIND = { add: "ADD", delete: "DELETE", update: "UPDATE" } as const;

export function serve(version: string, args: string[]): Promise<void> {
  const plugin = underUrn(incusPlugin(version));
  logToEngine(args.find((a) => !a.startsWith("-")));
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service: unknown, impl: object) {
    if (service !== provrpc.ResourceProviderService) return addService.call(this, service, impl);
    const wrapped = Object.create(impl);
    wrapped.invoke = invokeHandler(plugin);
    wrapped.configure = (call: any, callback: any) => {
      try {
        configure(settingsOf(call.request));
        const resp = new provproto.ConfigureResponse();
        resp.setAcceptsecrets(true);
        resp.setAcceptresources(false);
        resp.setAcceptoutputs(false);
        resp.setSupportspreview(false);
        callback(undefined, resp);
      } catch (err) {
        callback(err, undefined);
      }
    };
    wrapped.diff = async (call: any, callback: any) => {
      try {
        const req = call.request;
        const result = await plugin.diffDetailed(req.getId(), req.getUrn(), req.getOlds().toJavaScript(), req.getNews().toJavaScript());
        const resp = new provproto.DiffResponse();
        const changes = provproto.DiffResponse.DiffChanges;
        resp.setChanges(result.changes ? changes.DIFF_SOME : changes.DIFF_NONE);
        if (result.replaces?.length) resp.setReplacesList(result.replaces);
        if (result.deleteBeforeReplace) resp.setDeletebeforereplace(true);
        if (result.detailed) {
          resp.setHasdetaileddiff(true);
          const map = resp.getDetaileddiffMap();
          for (const [property, d] of Object.entries(result.detailed)) {
            const diff = new provproto.PropertyDiff();
            diff.setKind(provproto.PropertyDiff.Kind[`${KIND[d.kind]}${d.replace ? "_REPLACE" : ""}`]);
            // Compared with the live object, not with the old inputs.
            diff.setInputdiff(false);
            map.set(property, diff);
          }
        }
        callback(undefined, resp);
      } catch (err) {
        callback(err, undefined);
      }
    };
    wrapped.read = async (call: any, callback: any) => {
      const req = call.request;
      if (req.hasInputs()) return (impl as any).read.call(impl, call, callback);
      try {
        const found = await plugin.importObject(req.getId(), req.getUrn());
        const resp = new provproto.ReadResponse();
        resp.setId(found.id);
        resp.setProperties(structproto.Struct.fromJavaScript(found.props));
        resp.setInputs(structproto.Struct.fromJavaScript(found.inputs));
        callback(undefined, resp);
      } catch (err) {
        callback(err, undefined);
      }
    };
    return addService.call(this, service, wrapped);
  };
  return provider.main(plugin, args);
}

if (require.main === module) {
  // dist/provider/plugin/main.js → the package's own package.json (in a checkout, a tarball or node_modules).
  const version: string = require(path.join(__dirname, "..", "..", "..", "package.json")).version;
  serve(version, process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
