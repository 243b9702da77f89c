package demo

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strconv"

	"sigs.k8s.io/yaml"
)

// A fleet is several replicas of the same envoy.yaml (Envoys behind a load balancer) that
// share one etcd: `make run DEMO_FLAGS=-replicas 2`, and the fleet tests (e2e/fleet_test.go).
// What makes a configuration a fleet's is written once, here: [FleetConfig].

// EtcdCluster is the name of the Envoy cluster [FleetConfig] adds for etcd.
const EtcdCluster = "exeunt_etcd"

// Fleet says how [FleetConfig] turns an envoy.yaml into a fleet's.
type Fleet struct {
	// EtcdAddr is etcd's client address, 127.0.0.1:PORT (its HTTP/JSON gateway). Empty:
	// no store setting and no etcd cluster (each replica on its own local store; the
	// benchmarks compare the two).
	EtcdAddr string
	// Keys are the keys every replica gets: a fleet's replicas must seal and sign with the
	// same keys (keys.dev_generate would make each replica its own). See [GenerateKeys].
	Keys Keys
	// Etcd is more of the plugin's store.etcd object (for example "follow_period",
	// "stale_after", "key_prefix"); "cluster" is set to [EtcdCluster].
	Etcd map[string]any
	// Plugin is more top-level plugin configuration (for example "logout"); its entries
	// replace the file's.
	Plugin map[string]any
	// EtcdTransportSocket, when set, is the etcd cluster's transport_socket, as envoy.yaml
	// writes it: an UpstreamTlsContext reaching an etcd served over mutual TLS
	// (docs/fleet.md, section 2). Nil: plaintext HTTP to etcd.
	EtcdTransportSocket map[string]any
}

// Keys are a sealing and a signing key, as the plugin's "keys" object.
type Keys struct {
	SealingKID, SealingSecret string // the secret in base64url
	SigningKID, SigningPEM    string // an EC P-256 private key, SEC 1 PEM
}

// GenerateKeys makes a fresh sealing and signing key.
func GenerateKeys() (Keys, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return Keys{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Keys{}, err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return Keys{}, err
	}
	return Keys{
		SealingKID: "fleet-s1", SealingSecret: base64.RawURLEncoding.EncodeToString(secret),
		SigningKID: "fleet-k1", SigningPEM: string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})),
	}, nil
}

// Object is k as the plugin's "keys" object.
func (k Keys) Object() map[string]any {
	return map[string]any{
		"sealing": []any{map[string]any{"kid": k.SealingKID, "secret": k.SealingSecret}},
		"signing": []any{map[string]any{"kid": k.SigningKID, "private_key_pem": k.SigningPEM}},
	}
}

// FleetConfig rewrites an envoy.yaml for one replica of a fleet:
//
//   - Exeunt's configuration gets "store": {"backend": "etcd", "etcd": {"cluster":
//     EtcdCluster, ...f.Etcd}} and f.Keys as its "keys" (replacing dev_generate);
//   - a STATIC cluster EtcdCluster reaching f.EtcdAddr is added (with f.EtcdTransportSocket, if any);
//   - every listener and the admin interface listen on port 0 (a free port each): the
//     replicas run side by side, and the front (the load balancer) takes the port the
//     browser uses, the one in Exeunt's issuer.
//
// The result is YAML (JSON, which is YAML) for hostsim serve or Envoy.
func FleetConfig(raw []byte, f Fleet) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var host string
	var portNum int
	if f.EtcdAddr != "" {
		var port string
		var err error
		if host, port, err = net.SplitHostPort(f.EtcdAddr); err == nil {
			portNum, err = strconv.Atoi(port)
		}
		if err != nil {
			return nil, fmt.Errorf("etcd address %q: %w", f.EtcdAddr, err)
		}
	}
	zeroPort := func(addr any) {
		if a, ok := addr.(map[string]any); ok {
			if sa, ok := a["socket_address"].(map[string]any); ok {
				sa["port_value"] = 0
			}
		}
	}
	if admin, ok := doc["admin"].(map[string]any); ok {
		zeroPort(admin["address"])
	}
	sr, _ := doc["static_resources"].(map[string]any)
	if sr == nil {
		return nil, errors.New("no static_resources")
	}
	listeners, _ := sr["listeners"].([]any)
	found := 0
	for _, l := range listeners {
		lm, _ := l.(map[string]any)
		if lm == nil {
			continue
		}
		zeroPort(lm["address"])
		chains, _ := lm["filter_chains"].([]any)
		for _, c := range chains {
			cm, _ := c.(map[string]any)
			filters, _ := cm["filters"].([]any)
			for _, nf := range filters {
				tc, _ := dig(nf, "typed_config").(map[string]any)
				hfs, _ := tc["http_filters"].([]any)
				for _, hf := range hfs {
					cfg, _ := dig(hf, "typed_config", "config").(map[string]any)
					if cfg == nil || cfg["root_id"] != "exeunt" {
						continue
					}
					conf, _ := cfg["configuration"].(map[string]any)
					value, _ := conf["value"].(string)
					var plugin map[string]any
					if err := json.Unmarshal([]byte(value), &plugin); err != nil {
						return nil, fmt.Errorf("Exeunt's configuration is not JSON: %w", err)
					}
					if f.EtcdAddr != "" {
						etcd := map[string]any{}
						for k, v := range f.Etcd {
							etcd[k] = v
						}
						etcd["cluster"] = EtcdCluster
						plugin["store"] = map[string]any{"backend": "etcd", "etcd": etcd}
					}
					plugin["keys"] = f.Keys.Object()
					for k, v := range f.Plugin {
						plugin[k] = v
					}
					out, err := json.MarshalIndent(plugin, "", "  ")
					if err != nil {
						return nil, err
					}
					conf["value"] = string(out)
					found++
				}
			}
		}
	}
	if found == 0 {
		return nil, errors.New("no Exeunt filter (a wasm filter with root_id exeunt) in any listener")
	}
	if f.EtcdAddr == "" {
		return yaml.Marshal(doc)
	}
	clusters, _ := sr["clusters"].([]any)
	etcdCluster := map[string]any{
		"name":            EtcdCluster,
		"type":            "STATIC",
		"connect_timeout": "1s",
		"load_assignment": map[string]any{
			"cluster_name": EtcdCluster,
			"endpoints": []any{map[string]any{"lb_endpoints": []any{map[string]any{"endpoint": map[string]any{
				"address": map[string]any{"socket_address": map[string]any{"address": host, "port_value": portNum}},
			}}}}},
		},
	}
	if f.EtcdTransportSocket != nil {
		etcdCluster["transport_socket"] = f.EtcdTransportSocket
	}
	sr["clusters"] = append(clusters, etcdCluster)
	return yaml.Marshal(doc)
}

// dig walks nested maps by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
