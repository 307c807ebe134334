// gensdk writes a Pulumi SDK for the `incus` plugin from its package schema, with Pulumi's own code generators
// (pkg/v3/codegen, the version pinned in scripts/lib.sh). `pulumi package gen-sdk` cannot be used here: it asks the
// language host, and the hosts that can be built here do not implement that call.
//
//	gensdk <schema.json> <python|go> <out dir>
//
// Built and cached by scripts/setup-gensdk.sh; run by scripts/generate-langs.ts (npm run generate:sdks).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gensdk <schema.json> <python|go> <out dir>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "gensdk:", err)
		os.Exit(1)
	}
}

func run(schemaFile, language, out string) error {
	text, err := os.ReadFile(schemaFile)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaFile, err)
	}
	// The schema refers to no other package; the binder still needs a loader.
	loader := schema.NewCachedLoaderWithEntries(nil, map[string]schema.PackageReference{})
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("the schema does not bind: %s", diags.Error())
	}
	var files map[string][]byte
	switch language {
	case "python":
		files, err = pygen.GeneratePackage("pulumi-incus", pkg, nil, loader)
	case "go":
		files, err = gogen.GeneratePackage("pulumi-incus", pkg, nil)
	default:
		return fmt.Errorf("no generator for %q (python or go)", language)
	}
	if err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(out, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
