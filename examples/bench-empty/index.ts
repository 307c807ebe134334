// Benchmark baseline for scripts/bench-deploy.sh: no resources at all. What `pulumi up` of it costs is the engine's
// fixed start (CLI, language host, a Node program loading @pulumi/pulumi), which no provider can go below.
import * as pulumi from "@pulumi/pulumi";

export const project = pulumi.getProject();
