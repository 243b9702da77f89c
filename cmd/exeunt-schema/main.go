// Command exeunt-schema writes the JSON Schema of the plugin configuration
// (docs/exeunt-config.schema.json) from the parser's field table and
// docs/configuration.md: `make schema`. Run it from the repository root after changing
// a configuration field; a test fails until the published file is what it writes.
package main

import (
	"fmt"
	"os"

	"github.com/exeunt/exeunt/configschema"
)

func main() {
	md, err := os.ReadFile(configschema.DocsFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "exeunt-schema: %v (run it from the repository root)\n", err)
		os.Exit(1)
	}
	schema, err := configschema.Generate(md)
	if err != nil {
		fmt.Fprintf(os.Stderr, "exeunt-schema: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(configschema.SchemaFile, schema, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "exeunt-schema: %v\n", err)
		os.Exit(1)
	}
	fmt.Println("wrote", configschema.SchemaFile)
}
