#!/usr/bin/env bash
# All benchmarks: they print figures and assert nothing.
#   1. the REST client against a bare undici pool on the same socket (scripts/bench-client.js)
#   2. deployments through `pulumi up` against direct REST, and no-change up / refresh of a 100-resource stack
#      (scripts/bench-deploy.js)
#   3. program start: the cost of `require("pulumi-incus")` beside `require("@pulumi/pulumi")` (scripts/bench-require.js)
#   4. pulumi-incus generate on a project of ~400 objects, and the generated program's first up (scripts/bench-generate.js)
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
node scripts/bench-client.js
bash scripts/bench-deploy.sh
node scripts/bench-require.js
PATH="$(bash scripts/setup-yaml.sh):$PATH" node scripts/bench-generate.js
