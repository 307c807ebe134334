// The cases of scripts/bench-deploy.js: each round runs, per engine mode and N, the trivial program, the containers
// and the profiles (TypeScript and YAML), each beside its raw floor, and the mixed stack, each through up, no-change up,
// preview, refresh and destroy, checking what the daemon has after up and destroy. Results: one list of runs (one
// per round) per case and column, the shape scripts/bench-report.js reads.
const { IMAGE, floor, timed } = require("./bench-floor");
const { modeText, programDir, Stack, yamlProfiles } = require("./bench-stack");

/** case key → { op, what, n, mode, columns: { column → [run per round] } } */
const results = new Map();
function record(op, what, n, mode, column, run) {
  const key = `${op}, ${what}${modeText(mode, n)}`;
  if (!results.has(key)) results.set(key, { op, what, n, mode, columns: {} });
  (results.get(key).columns[column] ??= []).push(run);
}

/** up, no-change up, preview, refresh, destroy of one stack (`ops`: fewer of them). */
async function lifecycle(stack, column, what, n, mode, check, ops = ["no-change up", "preview", "refresh"]) {
  const rec = (op, run) => record(op, what, n, mode, column, run);
  rec("up", await stack.run("up", "--yes", "--skip-preview"));
  if (check) await check("up");
  if (ops.includes("no-change up")) {
    const noop = await stack.run("up", "--yes", "--skip-preview");
    // A no-change up that changed something would make the figure meaningless: say so.
    const summary = /Resources:[\s\S]*?(?:\n\s*\n|$)/.exec(noop.out)?.[0].replace(/\s+/g, " ").trim();
    if (!summary || /\d+ (to )?(created|updated|replaced|deleted|create|update|replace|delete)/.test(summary)) {
      console.log(`warning: the no-change up of ${what} (${column}) reported: ${summary ?? noop.out.slice(-400)}`);
    }
    rec("no-change up", noop);
  }
  if (ops.includes("preview")) rec("preview", await stack.run("preview"));
  if (ops.includes("refresh")) rec("refresh", await stack.run("refresh", "--yes", "--skip-preview"));
  rec("destroy", await stack.run("destroy", "--yes", "--skip-preview"));
  if (check) await check("destroy");
}

/** `client`: an IncusClient; `settings`: { sizes, profiles, mixed, modes, yaml, suffix } (see bench-deploy.js). */
function cases(client, { sizes, profiles, mixed: MIXED, modes, yaml: YAML, suffix: SUFFIX }) {
  const { createProject, listInstances, removeInstances, restDeploy, running, restProfiles, removeProfiles } = floor(client);

  const profilesCheck = (project, prefix, n) => async (step) => {
    const live = (await client.list("/1.0/profiles", { project })).filter((p) => p.name.startsWith(`${prefix}-`)).length;
    if (live !== (step === "up" ? n : 0)) throw new Error(`after ${step}: ${live} profiles`);
  };

  async function round(r) {
    const empty = new Stack(programDir("bench-empty"), `be${r}-${SUFFIX}`);
    await empty.init({});
    record("up", "no resources", 0, "default", "empty", await empty.run("up", "--yes", "--skip-preview"));
    record("destroy", "no resources", 0, "default", "empty", await empty.run("destroy", "--yes", "--skip-preview"));

    const ns = [...new Set([...sizes, ...profiles, ...(MIXED > 0 ? [MIXED] : [])])].sort((a, b) => a - b);
    for (const mode of modes) {
      const tag = `${r}${mode[0]}`;
      for (const n of ns) {
        const trivial = new Stack(programDir("bench-trivial"), `bt${tag}n${n}-${SUFFIX}`, mode, n);
        await trivial.init({ count: n, prefix: "t" });
        await lifecycle(trivial, "trivial", `${n} resources`, n, mode);

        if (sizes.includes(n)) {
          const what = `${n} containers`;
          const project = `bench-${SUFFIX}-${tag}c${n}`;
          await createProject(project, { "features.images": "false", "features.profiles": "false", "features.storage.volumes": "false" });
          if (mode === modes[0]) {
            // The floor does not depend on the engine's mode: measured once per round (recorded without a mode).
            const names = Array.from({ length: n }, (_, i) => `r${i}`);
            record("up", what, n, "default", "raw", await timed(() => restDeploy(project, names)));
            if ((await running(project)) !== n) throw new Error(`REST: expected ${n} running instances`);
            record("destroy", what, n, "default", "raw", await timed(() => removeInstances(project)));
            if ((await listInstances(project)).length !== 0) throw new Error("REST: instances left after the delete");
          }
          const stack = new Stack(programDir("bench-instances"), `bi${tag}n${n}-${SUFFIX}`, mode, n);
          await stack.init({ project, count: n, image: IMAGE, prefix: "p" });
          await lifecycle(stack, "incus", what, n, mode, async (step) => {
            if (step === "up" && (await running(project)) !== n) throw new Error(`pulumi: expected ${n} running instances`);
            if (step === "destroy" && (await listInstances(project)).length !== 0) throw new Error("pulumi destroy left instances");
          });
        }

        if (profiles.includes(n)) {
          const what = `${n} profiles`;
          const project = `bench-${SUFFIX}-${tag}p${n}`;
          await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "false" });
          if (mode === modes[0]) {
            // The floor of the profile stack: N POSTs, then N DELETEs, all in parallel (measured once per round).
            const names = Array.from({ length: n }, (_, i) => `rp-${i}`);
            const floorCheck = profilesCheck(project, "rp", n);
            record("up", what, n, "default", "raw", await timed(() => restProfiles(project, names)));
            await floorCheck("up");
            record("destroy", what, n, "default", "raw", await timed(() => removeProfiles(project, names)));
            await floorCheck("destroy");
          }
          const stack = new Stack(programDir("bench-profiles"), `bp${tag}n${n}-${SUFFIX}`, mode, n);
          await stack.init({ project, count: n, prefix: "bp" });
          await lifecycle(stack, "incus", what, n, mode, profilesCheck(project, "bp", n));
          if (YAML) {
            const yaml = new Stack(yamlProfiles(n), `by${tag}n${n}-${SUFFIX}`, mode, n);
            await yaml.init({ project, prefix: "by" });
            await lifecycle(yaml, "yaml", what, n, mode, profilesCheck(project, "by", n));
          }
        }

        if (n === MIXED && mode === modes[0]) await mixed(r, mode);
      }
    }
  }

  /** The mixed stack: up, no-change up, preview, refresh and destroy, with what the daemon has after up and destroy. */
  async function mixed(r, mode) {
    const what = `${MIXED} mixed`;
    const project = `bench-${SUFFIX}-${r}m`;
    await createProject(project, { "features.profiles": "true", "features.images": "false", "features.storage.volumes": "true" });
    const groups = Math.max(1, Math.floor(MIXED / 4));
    const instances = Math.max(1, MIXED - 2 * groups);
    const stack = new Stack(programDir("bench-mixed"), `bm${r}-${SUFFIX}`, mode, MIXED);
    await stack.init({ project, count: MIXED, image: IMAGE });
    await lifecycle(stack, "incus", what, MIXED, mode, async (step) => {
      const up = step === "up";
      const profileCount = (await client.list("/1.0/profiles", { project })).filter((p) => p.name.startsWith("mp-")).length;
      const volumes = (await client.list("/1.0/storage-pools/default/volumes/custom", { project })).length;
      const live = up ? await running(project) : (await listInstances(project)).length;
      const want = up ? [groups, groups, instances] : [0, 0, 0];
      if (`${[profileCount, volumes, live]}` !== `${want}`)
        throw new Error(`after ${step}: profiles, volumes, running instances = ${[profileCount, volumes, live]}, expected ${want}`);
    });
  }

  return { round };
}

module.exports = { results, record, lifecycle, cases };
