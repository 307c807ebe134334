"""The pulumi-incus lab in Python: what examples/yaml-lab declares, smaller (one instance, the test image)."""

import pulumi
import pulumi_incus as incus

cfg = pulumi.Config()
prefix = cfg.get("prefix") or "pylab"
memory = cfg.get("memory") or "128MiB"
image = cfg.get("image") or "pulumi-incus/busybox"
# Stack config set with `pulumi config set --secret token …`: encrypted in state, never printed.
token = cfg.require_secret("token")

# Images stay in the default project (features.images off), where the test image is.
project = incus.Project(
    "project",
    name=prefix,
    description="pulumi-incus lab (Python)",
    config={"features.images": False, "features.profiles": True, "features.storage.volumes": True},
)

# Bridges live in the default project. No addresses: the lab's instance talks to nothing outside the host.
net = incus.Network(
    "net",
    project="default",
    name=f"{prefix}-net",
    description="lab bridge without addresses",
    config={"ipv4.address": "none", "ipv6.address": "none"},
)

base = incus.Profile(
    "base",
    project=project.name,
    name="lab-base",
    description="lab base profile",
    config={"limits.cpu": 1, "limits.memory": memory, "user.token": token},
    devices={
        "root": {"type": "disk", "path": "/", "pool": "default"},
        "eth0": {"type": "nic", "network": net.name, "name": "eth0"},
    },
)

data = incus.StorageVolume(
    "data",
    project=project.name,
    pool="default",
    name="lab-data",
    config={"user.purpose": "shared lab data"},
)

node = incus.Instance(
    "node",
    project=project.name,
    name="node1",
    image=image,
    profiles=[base.name],
    config={"user.role": "primary"},
    devices={"data": {"type": "disk", "pool": "default", "source": data.name, "path": "/data"}},
    wait_for={"running": {"timeout": 60}},
)

# Lookups (the plugin's functions): a pool the program does not manage, and the profile as the server has it.
pool = incus.get_storage_pool(name="default")
base_live = incus.get_profile_output(name=base.name, project=project.name)

pulumi.export("projectName", project.name)
pulumi.export("networkName", net.name)
pulumi.export("volume", data.name)
pulumi.export("nodeStatus", node.status)
pulumi.export("poolDriver", pool.driver)
pulumi.export("baseMemory", base_live.config["limits.memory"])
pulumi.export("token", base.config["user.token"])
