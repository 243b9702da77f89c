package envoyconfig

import "errors"

// CheckServable reports, strictly, the parts of the configuration that Envoy accepts and
// hostsim does not simulate, one *Error each (joined with errors.Join), or nil when hostsim
// simulates all of it; a file without listeners is reported too. hostsim serve calls it only in
// its strict mode: by default it serves what it simulates and warns once about the rest (see
// NotSimulated). The fields it ignores without complaint are those that do not change how a
// request is handled: admin, node, layered_runtime, the stats settings, overload_manager,
// stat_prefix, route_config's name and validate_clusters, an HTTP filter's is_optional, a
// cluster's dns_lookup_family and load_assignment.cluster_name, and the VM's
// allow_precompiled.
func (c *Config) CheckServable() error {
	if err := c.CheckListeners(); err != nil {
		return errors.Join(append([]error{err}, c.unsupported...)...)
	}
	return errors.Join(c.unsupported...)
}

// CheckListeners reports a configuration with nothing to serve: no static listener.
func (c *Config) CheckListeners() error {
	if len(c.Listeners) == 0 {
		return &Error{Path: "static_resources.listeners", Msg: "no listeners: nothing to serve"}
	}
	return nil
}

// NotSimulated lists the settings that Envoy accepts and hostsim does not simulate, one *Error
// each naming the setting, in the file's order: hostsim serve accepts them and says so in one
// start-up warning (issue 12: every envoy.yaml Envoy's schema accepts must start).
func (c *Config) NotSimulated() []error { return c.unsupported }
