#!/usr/bin/env bash
# The README's main job: set everything up, then `pulumi up` the default lab stack against the local Incus with
# state in a local backend, and print the stack's outputs. `scripts/lab.sh destroy` tears the lab down.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
prepare_lab
STACK="${LAB_STACK:-lab}"
pulumi stack select --create "$STACK" >/dev/null
case "${1:-up}" in
  up)
    pulumi up --yes --skip-preview
    pulumi stack output --json ;;
  destroy) pulumi destroy --yes ;;
  preview) pulumi preview --diff ;;
  *) pulumi "$@" ;;
esac
