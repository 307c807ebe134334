// The raw floor of the benchmarks: the same work as a pulumi-incus stack, sent straight to Incus with the project's
// IncusClient, all in parallel (what Incus itself needs), and the temporary projects the benchmarks work in.
const { isNotFound } = require("../dist/provider");
const { cleanups } = require("./bench-stack");

const IMAGE = process.env.PULUMI_INCUS_TEST_IMAGE ?? "pulumi-incus/busybox";

/** Direct REST calls through `client` (an IncusClient). */
function floor(client) {
  async function createProject(name, config) {
    await client.post("/1.0/projects", { name, description: "pulumi-incus benchmark (temporary)", config }, { project: null });
    cleanups.push(async () => {
      // Normally empty by now; after a failure, whatever a run left behind goes with the project.
      await removeInstances(name).catch(() => undefined);
      if (config["features.profiles"] === "true") {
        const profiles = await client.list("/1.0/profiles", { project: name }).catch(() => []);
        for (const p of profiles) if (p.name !== "default") await client.delete(`/1.0/profiles/${encodeURIComponent(p.name)}`, { project: name });
      }
      if (config["features.storage.volumes"] === "true") {
        const volumes = await client.list("/1.0/storage-pools/default/volumes/custom", { project: name }).catch(() => []);
        for (const v of volumes) await client.delete(`/1.0/storage-pools/default/volumes/custom/${encodeURIComponent(v.name)}`, { project: name });
      }
      await client.delete(`/1.0/projects/${encodeURIComponent(name)}`, { project: null }).catch((e) => {
        if (!isNotFound(e)) console.error(`cleanup: project ${name}: ${e.message}`);
      });
    });
  }

  const listInstances = (project) => client.list("/1.0/instances", { project });

  /** The raw delete: force-stop what runs, then delete, all in parallel. */
  async function removeInstances(project) {
    let list;
    try {
      list = await listInstances(project);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    await Promise.all(
      list.map(async (i) => {
        const p = `/1.0/instances/${encodeURIComponent(i.name)}`;
        if (i.status !== "Stopped") await client.put(`${p}/state`, { action: "stop", force: true }, { project }).catch(() => undefined);
        await client.delete(p, { project }).catch((e) => lost(e, async () => !(await state(p, project))));
      }),
    );
  }

  /**
   * Create and start N containers in parallel: one POST with start=true each (Incus's own fastest way). `targetOf(i)`:
   * on a cluster, where the i-th goes (a member or `@<group>`, the `target` query parameter), as the stack places it.
   */
  async function restDeploy(project, names, targetOf = () => undefined) {
    await Promise.all(
      names.map((name, i) => {
        const target = targetOf(i);
        const at = target ? `/1.0/instances?target=${encodeURIComponent(target)}` : "/1.0/instances";
        const p = `/1.0/instances/${encodeURIComponent(name)}`;
        return client
          .post(at, { name, type: "container", source: { type: "image", alias: IMAGE }, start: true }, { project })
          .catch((e) => lost(e, async () => (await state(p, project)) === "Running"));
      }),
    );
  }

  /** The instance's status, or undefined when it does not exist. */
  const state = (p, project) =>
    client.get(p, { project }).then(
      (r) => r.value.status,
      (e) => {
        if (!isNotFound(e)) throw e;
      },
    );

  /**
   * Incus lost track of the operation (on a loaded machine it forgets a finished one after 5 s, 404; on a cluster a
   * member can lose its event connection to another, 500): wait for the object itself to get where the operation takes it,
   * so the floor's time still covers the work.
   */
  async function lost(e, done) {
    const lostOp = e?.operationGone || (/operations\//.test(e.message) && (isNotFound(e) || /Missing event connection/.test(e.message)));
    if (!lostOp) throw e;
    const deadline = Date.now() + 600_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting after: ${e.message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  const running = async (project) => (await listInstances(project)).filter((i) => i.status === "Running").length;

  /** N profiles as examples/bench-profiles writes them (with an owner mark of the same length), one POST each, all in parallel. */
  async function restProfiles(project, names) {
    await Promise.all(
      names.map((name, i) =>
        client.post(
          "/1.0/profiles",
          {
            name,
            description: `bench profile ${i}`,
            config: {
              "limits.cpu": String(1 + (i % 2)),
              "user.index": String(i),
              "user.pulumi-incus.stack": `floor/bench/stack/${"0".repeat(36)}::urn:pulumi:stack::bench::incus:Profile::p${i} #${"0".repeat(12)}`,
            },
          },
          { project },
        ),
      ),
    );
  }

  /** One DELETE per profile, all in parallel. */
  async function removeProfiles(project, names) {
    await Promise.all(names.map((name) => client.delete(`/1.0/profiles/${encodeURIComponent(name)}`, { project })));
  }

  return { createProject, listInstances, removeInstances, restDeploy, running, restProfiles, removeProfiles };
}

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

module.exports = { IMAGE, floor, timed };
