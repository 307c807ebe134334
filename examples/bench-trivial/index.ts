// Benchmark baseline for scripts/bench-deploy.sh: `count` dynamic resources whose provider methods do nothing and
// talk to nobody, with props shaped like a profile's. What Pulumi itself costs per dynamic resource (registration,
// closure serialisation, the provider process and one gRPC call per step) is measured by this program; pulumi-incus
// is compared with it. One provider object for all, as pulumi-incus does (Pulumi serialises it once).
import * as pulumi from "@pulumi/pulumi";

const cfg = new pulumi.Config();
const count = cfg.requireNumber("count");
const prefix = cfg.get("prefix") ?? "t";

const nothing: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return { inputs: news };
  },
  async diff() {
    return { changes: false };
  },
  async create(inputs) {
    return { id: inputs.name, outs: inputs };
  },
  async read(id, props) {
    return { id, props };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
  async delete() {},
};

class Trivial extends pulumi.dynamic.Resource {
  constructor(name: string, props: Record<string, unknown>) {
    super(nothing, name, props, undefined, "bench", "Trivial");
  }
}

for (let i = 0; i < count; i++) {
  new Trivial(`t${i}`, { name: `${prefix}-${i}`, description: `trivial ${i}`, config: { "limits.cpu": String(1 + (i % 2)), "user.index": String(i) } });
}

export const resources = count;
