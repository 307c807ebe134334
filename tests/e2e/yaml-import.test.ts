// `pulumi import` through the `incus` resource provider plugin, with the real CLI and the YAML language host: objects
// made by hand with the incus CLI (a profile with a device, an address-less bridge, a custom volume) are imported
// one by one (`pulumi import <type> <name> <id>`, with the code Pulumi generates) and in bulk (`--file`, with the
// program written by hand); the program's preview is then clean, `up` sends no write, and destroy removes them.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cliSession, dropTestProject, incus, incusJson, REPO, uniqueSuffix, useYamlHost } from "./harness";

jest.setTimeout(600_000);

beforeAll(useYamlHost, 900_000);

describe("pulumi import through the plugin", () => {
  const prefix = `yi${uniqueSuffix().slice(-8)}`;
  const net = `${prefix}n`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "pi-e2e-import-"));
  const ids = {
    profile: `/1.0/profiles/web?project=${prefix}`,
    network: `/1.0/networks/${net}`,
    volume: `/1.0/storage-pools/default/volumes/custom/data?project=${prefix}`,
  };

  beforeAll(() => {
    incus("project", "create", prefix);
    incus("profile", "create", "web", "--project", prefix);
    incus("profile", "set", "web", "limits.cpu=1", "user.role=web", "--project", prefix);
    incus("profile", "device", "add", "web", "root", "disk", "path=/", "pool=default", "--project", prefix);
    incus("network", "create", net, "ipv4.address=none", "ipv6.address=none");
    incus("network", "set", net, "user.owner=ops");
    incus("storage", "volume", "create", "default", "data", "user.purpose=scratch", "--project", prefix);
  });

  afterAll(async () => {
    if (incusJson(`/1.0/projects/${prefix}`)) await dropTestProject(prefix);
    if (incusJson(ids.network)) incus("network", "delete", net);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("imports a profile, a network and a volume; preview is clean, up writes nothing, destroy removes them", () => {
    const { run, takeWrites } = cliSession(work);
    const dir = path.join(work, "program");
    fs.mkdirSync(dir);
    const head = `name: incus-import\nruntime: yaml\npackages:\n  incus: ${path.join(REPO, "provider", "plugin", "incus")}\n`;
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${head}resources: {}\n`);
    const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], dir);
    pulumi("stack", "init", "import");

    // One object, with the code Pulumi writes for it from the inputs the plugin reads.
    pulumi("import", "incus:index:Profile", "web", ids.profile, "--yes", "--protect=false", "--out", "web.yaml");
    const generated = fs.readFileSync(path.join(dir, "web.yaml"), "utf8");
    expect(generated).toMatch(/type: incus:(index:)?Profile\n/);
    expect(generated).toMatch(/limits\.cpu: ['"]1['"]\n/);
    expect(generated).toContain(`project: ${prefix}\n`);
    expect(generated).not.toContain("volatile");
    // Bulk: Pulumi's import file, and the program written by hand.
    const file = {
      resources: [
        { type: "incus:index:Network", name: "net", id: ids.network },
        { type: "incus:index:StorageVolume", name: "data", id: ids.volume },
      ],
    };
    fs.writeFileSync(path.join(work, "import.json"), JSON.stringify(file));
    pulumi("import", "--file", path.join(work, "import.json"), "--yes", "--protect=false", "--generate-code=false");
    expect(takeWrites()).toEqual([]);

    const byHand = `
  net:
    type: incus:index:Network
    properties:
      name: ${net}
      config:
        ipv4.address: none
        ipv6.address: none
        user.owner: ops
  data:
    type: incus:index:StorageVolume
    properties:
      name: data
      project: ${prefix}
      pool: default
      config:
        user.purpose: scratch
`;
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `${head}${generated}${byHand}`);
    const state = JSON.parse(pulumi("stack", "export"));
    const imported = state.deployment.resources.filter((r: any) => r.type.startsWith("incus:"));
    expect(imported.map((r: any) => [r.type, r.id]).sort()).toEqual(
      [
        ["incus:index:Network", ids.network],
        ["incus:index:Profile", ids.profile],
        ["incus:index:StorageVolume", ids.volume],
      ].sort(),
    );

    pulumi("preview", "--expect-no-changes", "--diff");
    pulumi("up", "--yes", "--expect-no-changes");
    expect(takeWrites()).toEqual([]);

    // Imported objects are the stack's: destroy deletes them (unless `retainOnDelete`).
    pulumi("destroy", "--yes");
    expect(incusJson(ids.profile)).toBeNull();
    expect(incusJson(ids.network)).toBeNull();
    expect(incusJson(ids.volume)).toBeNull();
  });
});
