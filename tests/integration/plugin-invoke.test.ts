// The plugin's functions (Invoke: YAML's fn::invoke, the Python and Go SDKs) against the real daemon: the same
// results as the engine's lookups the TypeScript SDK runs, list lookups as `{ items }`, marked (secret) arguments
// read as plain values, and errors that name the argument.
import { engineFor } from "pulumi-incus/provider";
import { incusPlugin, reveal } from "../../provider/plugin/provider";
import { BUSYBOX_ALIAS, closeConnections, dropProject, incus, queryWrite, rand } from "./kinds-harness";

jest.setTimeout(120_000);

const project = `pit-invoke-${rand()}`;
const plugin = incusPlugin("0.0.0-test");
const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };

beforeAll(() => {
  queryWrite("POST", "/1.0/projects", { name: project, config: { "features.images": "false", "features.profiles": "true" } });
  queryWrite("POST", `/1.0/profiles?project=${project}`, { name: "web", description: "web tier", config: { "limits.cpu": "1" }, devices: {} });
  incus("profile", "device", "add", "default", "root", "disk", "path=/", "pool=default", "--project", project);
  incus("init", BUSYBOX_ALIAS, "web-1", "--project", project, "-c", "user.role=web");
  incus("init", BUSYBOX_ALIAS, "db-1", "--project", project, "-c", "user.role=db");
});

afterAll(async () => {
  dropProject(project);
  await closeConnections();
});

it("getProfile: what the engine's lookup finds, through the protocol", async () => {
  const result = await plugin.invoke!("incus:index:getProfile", { name: "web", project });
  expect(result.outputs).toEqual(await engineFor("Profile").lookup({ name: "web", project }));
  expect(result.outputs).toMatchObject({ name: "web", project, description: "web tier", config: { "limits.cpu": "1" } });
});

it("getInstances: a list lookup answers { items }, filtered as the TypeScript one", async () => {
  const result = await plugin.invoke!("incus:index:getInstances", { project, config: { "user.role": "web" } });
  expect(result.outputs.items.map((i: { name: string }) => i.name)).toEqual(["web-1"]);
});

it("a secret argument is read as its value", async () => {
  const result = await plugin.invoke!("incus:index:getProfile", { name: { ...SECRET, value: "web" }, project });
  expect(reveal(result.outputs).value).toMatchObject({ name: "web" });
});

it("errors name the function and the argument; unknown functions are refused", async () => {
  await expect(plugin.invoke!("incus:index:getProfile", { name: "nope", project })).rejects.toThrow(
    `getProfile: Profile "nope" in project "${project}" does not exist`,
  );
  await expect(plugin.invoke!("incus:index:getProfile", { nam: "web", project })).rejects.toThrow("getProfile: no such argument `nam`");
  await expect(plugin.invoke!("incus:index:getProfiles", { project })).rejects.toThrow("incus: unknown function incus:index:getProfiles");
});
