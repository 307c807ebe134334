// Destroying a project that still holds objects, through the CLI: without deleteContents the destroy fails with a
// message that names what is left and the way out, and no stack trace of the provider anywhere in the CLI's output;
// with it, everything inside (a network zone with a record, a profile) goes and the project with it.
import * as path from "node:path";
import { dropTestProject, incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const P = `ppc-${uniqueSuffix().slice(-8)}`;
const ZONE = `${P}.example.org`;
let t: TestStack;
const resources = (deleteContents: boolean) =>
  JSON.stringify([{ kind: "Project", name: "p", args: { name: P, config: { "features.networks.zones": true }, deleteContents } }]);

beforeAll(async () => {
  t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), { resources: resources(false) });
});
afterAll(async () => {
  await t?.cleanup().catch(() => undefined);
  if (incusJson(`/1.0/network-zones/${ZONE}?project=${P}`)) incus("network", "zone", "delete", ZONE, "--project", P);
  await dropTestProject(P);
});

test("a project with contents: a clear error without deleteContents, emptied with it; no stack trace", async () => {
  await t.stack.up();
  incus("network", "zone", "create", ZONE, "--project", P);
  incus("network", "zone", "record", "create", ZONE, "www", "--project", P);
  incus("profile", "create", "inside", "--project", P);

  const said: string[] = [];
  let failure = "";
  try {
    await t.stack.destroy({ onOutput: (text) => void said.push(text) });
  } catch (err) {
    failure = String(err);
  }
  const shown = said.join("") + failure;
  expect(shown).toContain(`Project "${P}": it still holds objects (`);
  expect(shown).toContain(`network-zones/${ZONE}`);
  expect(shown).toContain("set `deleteContents: true` to delete them with the project");
  // No stack frame ("    at fn (file:line)") and no path into the provider's code.
  expect(shown).not.toMatch(/^\s+at .+:\d+/m);
  expect(shown).not.toMatch(/provider\/(engine|kinds|client)\//);

  // Turning deleteContents on is saved without a request that writes; destroy then empties and deletes the project.
  await t.stack.setConfig("resources", { value: resources(true) });
  t.takeRequests();
  await t.stack.up();
  expect(t.writes(t.takeRequests())).toEqual([]);
  await t.stack.destroy();
  expect(incusJson(`/1.0/projects/${P}`)).toBeNull();
  expect(incusJson(`/1.0/network-zones/${ZONE}?project=${P}`)).toBeNull();
});
