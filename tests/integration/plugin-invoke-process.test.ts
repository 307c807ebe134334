// The plugin's Invoke through its own process and gRPC, as the Pulumi engine calls it (YAML's fn::invoke, the Python
// and Go SDKs): a lookup's answer, and a failed lookup answered with the message the TypeScript SDK's lookup gives,
// with no Node stack trace on the plugin's stderr (the user would see it under the ordinary "does not exist").
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { lookup } from "../../sdk/lookup";
import { closeConnections, dropProject, queryWrite, rand } from "./kinds-harness";

jest.setTimeout(120_000);

const REPO = path.join(__dirname, "..", "..");
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const structproto = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));

const project = `pit-invproc-${rand()}`;
let child: ChildProcess;
let stderr = "";
let client: any;

/** One unary call; resolves with the response or the gRPC error. */
const call = <T>(method: string, req: unknown) =>
  new Promise<{ resp?: T; err?: { details: string } }>((resolve) => client[method](req, (err: any, resp: T) => resolve({ err: err ?? undefined, resp })));

function invokeRequest(tok: string, args: object) {
  const req = new provproto.InvokeRequest();
  req.setTok(tok);
  req.setArgs(structproto.Struct.fromJavaScript(args));
  return req;
}

beforeAll(async () => {
  queryWrite("POST", "/1.0/projects", { name: project, config: { "features.profiles": "true" } });
  // The plugin from the sources, as `pulumi-resource-incus` runs the built one; it prints its port when it serves.
  child = spawn(process.execPath, ["--require", "tsx/cjs", "-e", 'require("./provider/plugin/main.ts").serve("0.0.0-test", [])'], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`the plugin exited (${code}) before serving: ${stderr}`)));
  });
  client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  // The engine configures a provider before it invokes it: no settings, so the default socket.
  const configured = await call("configure", new provproto.ConfigureRequest());
  expect(configured.err).toBeUndefined();
});

afterAll(async () => {
  client?.close();
  if (child?.pid && child.exitCode === null) process.kill(child.pid);
  dropProject(project);
  await closeConnections();
});

it("a lookup answers the object", async () => {
  const { err, resp } = await call<any>("invoke", invokeRequest("incus:index:getProfile", { name: "default", project }));
  expect(err).toBeUndefined();
  expect(resp.getReturn().toJavaScript()).toMatchObject({ name: "default", project });
});

it("a failed lookup answers the TypeScript SDK's message, and the plugin prints no stack trace", async () => {
  const sdkMessage = await lookup("Profile", { name: "nope", project }).then(
    () => "found",
    (e: Error) => e.message,
  );
  expect(sdkMessage).toContain(`getProfile: Profile "nope" in project "${project}" does not exist`);
  const { err } = await call("invoke", invokeRequest("incus:index:getProfile", { name: "nope", project }));
  expect(err?.details).toBe(sdkMessage);
  // An unknown argument is the same: the message only.
  const bad = await call("invoke", invokeRequest("incus:index:getProfile", { nam: "default", project }));
  expect(bad.err?.details).toMatch(/^getProfile: no such argument `nam` \(it takes `name`, /);
  // So is a function the plugin does not have.
  const unknown = await call("invoke", invokeRequest("incus:index:getNothing", {}));
  expect(unknown.err?.details).toBe("incus: unknown function incus:index:getNothing");
  // The engine shows the answer's message; the plugin's stderr, which it shows too, holds none of it (nor frames).
  await new Promise((r) => setTimeout(r, 200)); // a late write to stderr arrives before it is read
  expect(stderr).not.toMatch(/does not exist|no such argument|unknown function|\n\s+at /);
});
