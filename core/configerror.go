package core

import "fmt"

// ConfigError is a mistake in the plugin configuration. Its message names the field
// and says what to do, because it ends up in Envoy's log, read by whoever wrote
// envoy.yaml.
type ConfigError struct {
	_ noCompare
	// Field is the full path of the offending field ("health_path",
	// "providers[0].issuer", "clients[1].hosts[0]"); empty when the document as a whole
	// is wrong.
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Field == "" {
		return "exeunt configuration: " + e.Problem
	}
	return fmt.Sprintf("exeunt configuration: field %q: %s", e.Field, e.Problem)
}
