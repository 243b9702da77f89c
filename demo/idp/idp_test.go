package idp

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

func TestStartServesDiscoveryAndCloseStopsTheProcess(t *testing.T) {
	var log bytes.Buffer
	p, err := Start(context.Background(), Options{
		Dir: filepath.Join("..", "..", "testpeers", "oidc-provider"),
		Clients: []Client{{"client_id": "exeunt", "client_secret": "s", "redirect_uris": []string{"http://localhost:10000/signin-oidc"},
			"backchannel_logout_uri": "http://localhost:10000/backchannel-oidc", "backchannel_logout_session_required": true}},
		Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	resp, err := http.Get(p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["issuer"] != p.Issuer || doc["end_session_endpoint"] == nil || doc["backchannel_logout_supported"] != true {
		t.Fatalf("discovery: %v", doc)
	}
	p.Close()
	select {
	case <-p.Exited():
	case <-time.After(time.Second):
		t.Fatal("the provider is still running after Close")
	}
	if p.Err() != nil {
		t.Fatalf("a closed provider reports %v", p.Err())
	}
	if _, err := http.Get(p.Issuer + "/.well-known/openid-configuration"); err == nil {
		t.Fatal("the provider still answers after Close")
	}
}

func TestStartFailsClearlyWithABadClient(t *testing.T) {
	_, err := Start(context.Background(), Options{
		Dir:     filepath.Join("..", "..", "testpeers", "oidc-provider"),
		Clients: []Client{{"client_id": "x", "redirect_uris": []string{"not a url"}}},
	})
	if err == nil {
		t.Fatal("a bad client registration started")
	}
	t.Log(err)
}
