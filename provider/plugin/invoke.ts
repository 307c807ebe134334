// The plugin's Invoke handler (getXxx / getXxxs: YAML's fn::invoke, the Python and Go SDKs). The stock handler of
// `@pulumi/pulumi/provider` prints every failed call with its stack to the plugin's stderr, which the engine shows
// besides the error it reports: an ordinary "does not exist" came out twice, an unknown function with Node frames.
// This one answers the error's message only (the TypeScript SDK's lookup message) and prints nothing;
// PULUMI_INCUS_DEBUG prints the stack to stderr.
import * as path from "node:path";
import type * as provider from "@pulumi/pulumi/provider";
import { forUser } from "../engine/errors";

const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));

/** The gRPC handler for Invoke, calling the plugin's `invoke`. */
export function invokeHandler(plugin: Pick<provider.Provider, "invoke">) {
  return async (call: any, callback: any) => {
    const req = call.request;
    try {
      if (!plugin.invoke) throw new Error(`incus: unknown function ${req.getTok()}`);
      const result = await plugin.invoke(req.getTok(), req.getArgs().toJavaScript());
      const resp = new provproto.InvokeResponse();
      resp.setReturn(structproto.Struct.fromJavaScript(result.outputs));
      callback(undefined, resp);
    } catch (err) {
      if (process.env.PULUMI_INCUS_DEBUG) process.stderr.write(`invoke ${req.getTok()}: ${(err as Error)?.stack ?? err}\n`);
      callback(forUser(err), undefined);
    }
  };
}
