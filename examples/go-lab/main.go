// The pulumi-incus lab in Go: what examples/yaml-lab declares, smaller (one instance, the test image).
package main

import (
	incus "github.com/pulumi-incus/pulumi-incus/sdk/go/incus"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		prefix := or(cfg.Get("prefix"), "golab")
		memory := or(cfg.Get("memory"), "128MiB")
		image := or(cfg.Get("image"), "pulumi-incus/busybox")
		// Stack config set with `pulumi config set --secret token …`: encrypted in state, never printed.
		token := cfg.RequireSecret("token")

		// Images stay in the default project (features.images off), where the test image is.
		project, err := incus.NewProject(ctx, "project", &incus.ProjectArgs{
			Name:        pulumi.String(prefix),
			Description: pulumi.String("pulumi-incus lab (Go)"),
			Config:      pulumi.Map{"features.images": pulumi.Bool(false), "features.profiles": pulumi.Bool(true), "features.storage.volumes": pulumi.Bool(true)},
		})
		if err != nil {
			return err
		}
		// Bridges live in the default project. No addresses: the lab's instance talks to nothing outside the host.
		net, err := incus.NewNetwork(ctx, "net", &incus.NetworkArgs{
			Project:     pulumi.String("default"),
			Name:        pulumi.String(prefix + "-net"),
			Description: pulumi.String("lab bridge without addresses"),
			Config:      pulumi.Map{"ipv4.address": pulumi.String("none"), "ipv6.address": pulumi.String("none")},
		})
		if err != nil {
			return err
		}
		base, err := incus.NewProfile(ctx, "base", &incus.ProfileArgs{
			Project:     project.Name,
			Name:        pulumi.String("lab-base"),
			Description: pulumi.String("lab base profile"),
			Config:      pulumi.Map{"limits.cpu": pulumi.Int(1), "limits.memory": pulumi.String(memory), "user.token": token},
			Devices: pulumi.MapMap{
				"root": pulumi.Map{"type": pulumi.String("disk"), "path": pulumi.String("/"), "pool": pulumi.String("default")},
				"eth0": pulumi.Map{"type": pulumi.String("nic"), "network": net.Name, "name": pulumi.String("eth0")},
			},
		})
		if err != nil {
			return err
		}
		data, err := incus.NewStorageVolume(ctx, "data", &incus.StorageVolumeArgs{
			Project: project.Name,
			Pool:    pulumi.String("default"),
			Name:    pulumi.String("lab-data"),
			Config:  pulumi.Map{"user.purpose": pulumi.String("shared lab data")},
		})
		if err != nil {
			return err
		}
		node, err := incus.NewInstance(ctx, "node", &incus.InstanceArgs{
			Project:  project.Name,
			Name:     pulumi.String("node1"),
			Image:    pulumi.String(image),
			Profiles: pulumi.StringArray{base.Name},
			Config:   pulumi.Map{"user.role": pulumi.String("primary")},
			Devices: pulumi.MapMap{
				"data": pulumi.Map{"type": pulumi.String("disk"), "pool": pulumi.String("default"), "source": data.Name, "path": pulumi.String("/data")},
			},
			WaitFor: &incus.InstanceWaitForArgs{Running: &incus.InstanceWaitForRunningArgs{Timeout: pulumi.Int(60)}},
		})
		if err != nil {
			return err
		}

		// Lookups (the plugin's functions): a pool the program does not manage, and the profile as the server has it.
		pool, err := incus.LookupStoragePool(ctx, &incus.LookupStoragePoolArgs{Name: "default"})
		if err != nil {
			return err
		}
		baseLive := incus.LookupProfileOutput(ctx, incus.LookupProfileOutputArgs{Name: base.Name, Project: project.Name})

		ctx.Export("projectName", project.Name)
		ctx.Export("networkName", net.Name)
		ctx.Export("volume", data.Name)
		ctx.Export("nodeStatus", node.Status)
		ctx.Export("poolDriver", pulumi.String(string(pool.Driver)))
		ctx.Export("baseMemory", baseLive.Config().MapIndex(pulumi.String("limits.memory")))
		ctx.Export("token", base.Config.MapIndex(pulumi.String("user.token")))
		return nil
	})
}
