// `pulumi import` through the plugin, against the stand-in daemon: the read Pulumi sends with an id and nothing else
// answers with the inputs a program would declare (identity, project, set fields; no server keys, no empty fields)
// and the outputs a `get:` of it reports (Pulumi sends that read exactly as an import's).
import { incusPlugin } from "../../provider/plugin/provider";
import { fakeIncusForFile } from "./fake-incus";

const daemon = fakeIncusForFile({ asDefault: true });

const urn = (kind: string, name: string) => `urn:pulumi:dev::lab::incus:index:${kind}::${name}`;

test("a profile: its identity, project and set fields as inputs; no server keys, no owner mark, no empty fields", async () => {
  daemon.current.set("/1.0/profiles/web", {
    name: "web",
    project: "lab",
    description: "",
    config: { "limits.cpu": "2", "volatile.x": "1", "user.pulumi-incus.stack": "organization/a/b/c::urn #0123456789ab" },
    devices: { root: { type: "disk", path: "/", pool: "default" } },
    used_by: ["/1.0/instances/a?project=lab"],
  });
  const res = await incusPlugin("0.0.0").importObject("/1.0/profiles/web?project=lab", urn("Profile", "web"));
  expect(res.id).toBe("/1.0/profiles/web?project=lab");
  expect(res.inputs).toEqual({
    name: "web",
    project: "lab",
    config: { "limits.cpu": "2" },
    devices: { root: { type: "disk", path: "/", pool: "default" } },
  });
  expect(res.props).toEqual({ ...res.inputs, description: "", usedBy: ["/1.0/instances/a?project=lab"], __readById: true });
});

test("a volume: its pool and content type; the default project named", async () => {
  daemon.current.set("/1.0/storage-pools/fast/volumes/custom/data", {
    name: "data",
    content_type: "block",
    description: "scratch",
    config: { size: "1GiB" },
    used_by: [],
  });
  const res = await incusPlugin("0.0.0").importObject("/1.0/storage-pools/fast/volumes/custom/data", urn("StorageVolume", "data"));
  expect(res.inputs).toEqual({ name: "data", pool: "fast", project: "default", contentType: "block", description: "scratch", config: { size: "1GiB" } });
});

test("an id that is no API path of the kind, or of nothing, fails naming the kind and the id", async () => {
  await expect(incusPlugin("0.0.0").importObject("web", urn("Profile", "web"))).rejects.toThrow(
    'Profile.get: id "web" is not the API path of a profile; expected "/1.0/profiles/<name>?project=<project>"',
  );
  await expect(incusPlugin("0.0.0").importObject("/1.0/profiles/gone", urn("Profile", "gone"))).rejects.toThrow(
    'Profile.get: no profile at "/1.0/profiles/gone"',
  );
});
