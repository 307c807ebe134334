// Incus (system containers and VMs) as Pulumi resources, served by the pulumi-incus engine.
package incus
