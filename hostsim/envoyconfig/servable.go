package envoyconfig

import "errors"

// CheckServable reports the parts of the configuration that Envoy accepts and hostsim does not
// implement, one *Error each (joined with errors.Join), or nil when hostsim can serve all of
// it. hostsim's serve command calls it after Load, so that it refuses a configuration rather
// than serve something other than what Envoy would. The fields it ignores without complaint are
// those that do not change how a request is handled: admin, node, layered_runtime, the stats
// settings, overload_manager, stat_prefix, access_log, route_config's name and
// validate_clusters, an HTTP filter's is_optional, a cluster's dns_lookup_family and
// load_assignment.cluster_name, and the VM's allow_precompiled.
func (c *Config) CheckServable() error {
	if len(c.Listeners) == 0 {
		return errors.Join(append([]error{&Error{Path: "static_resources.listeners", Msg: "no listeners: nothing to serve"}}, c.unsupported...)...)
	}
	return errors.Join(c.unsupported...)
}
