// An Image that claims an alias another image holds is refused by `pulumi preview` (not first by `up`), naming the
// alias and the image, with nothing written: also when another input is still unknown in that first preview (a
// profile made by the same up).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { dropTestProject, incus, incusJson, programStack, REPO, type TestStack, uniqueSuffix } from "./harness";

jest.setTimeout(300_000);

const s = uniqueSuffix().slice(-8);
const P = `pac-${s}`;
const HELD = `held-${s}`;
const TARBALL = path.join(os.homedir(), ".cache", "pulumi-incus", "images", "busybox.tar.gz");
// Other content than the image that holds the alias (never uploaded: the preview must stop first).
const other = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pac-")), "other.tar.gz");
const stacks: TestStack[] = [];

beforeAll(() => {
  fs.writeFileSync(other, `not the held image ${s}`);
  incus("project", "create", P, "-c", "features.images=true", "-c", "features.profiles=true");
  incus("image", "import", TARBALL, "--alias", HELD, "--project", P);
});
afterAll(async () => {
  await Promise.all(stacks.map((t) => t.cleanup().catch(() => undefined)));
  await dropTestProject(P);
  fs.rmSync(path.dirname(other), { recursive: true, force: true });
});

const held = () => incusJson(`/1.0/images/aliases/${HELD}?project=${P}`)?.target as string;

test.each([
  ["known inputs", [{ kind: "Image", name: "img", args: { project: P, file: other, aliases: [HELD] } }]],
  [
    "a profile made by the same up (unknown in the preview)",
    [
      { kind: "Profile", name: "prof", args: { project: P, name: `prof-${s}` } },
      { kind: "Image", name: "img", args: { project: P, file: other, aliases: [HELD], profiles: ["$ref:prof.name"] } },
    ],
  ],
])("with %s: preview fails naming the alias and its image; nothing is written", async (_case, resources) => {
  const target = held();
  expect(target).toMatch(/^[0-9a-f]{64}$/);
  const t = await programStack(path.join(REPO, "tests", "e2e", "programs", "declared"), { resources: JSON.stringify(resources) });
  stacks.push(t);
  let message = "";
  try {
    await t.stack.preview();
  } catch (err) {
    message = String(err);
  }
  expect(message).toContain("property aliases value");
  expect(message).toContain(`has a problem: aliases: "${HELD}" already points at image ${target.slice(0, 12)}`);
  expect(message).toContain("set `adopt: true` to take the alias over");
  expect(t.writes(t.takeRequests())).toEqual([]);
  expect(held()).toBe(target);
});
