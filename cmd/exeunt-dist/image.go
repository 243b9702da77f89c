package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// pluginFileName is the file the compat variant's layer must hold: Istio's and Envoy
// Gateway's fetchers look for a tar entry whose base name is exactly this
// (extractWasmPluginBinary in istio/istio pkg/wasm/imagefetcher.go at 86c9f01f, and
// envoyproxy/gateway internal/wasm/imagefetcher.go at d32f2829).
const pluginFileName = "plugin.wasm"

// epoch is every timestamp in the image: the layer's tar entry, the config's created
// time and its history. A fixed time makes two builds of the same module identical.
var epoch = time.Unix(0, 0).UTC()

// pluginImage is the compat-variant OCI image of a module: an OCI manifest, an OCI config
// (os wasip1, architecture wasm) and one tar+gzip layer holding plugin.wasm.
func pluginImage(wasm []byte) (v1.Image, error) {
	compressed, err := pluginLayer(wasm)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(compressed)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "exeunt-dist: " + pluginFileName},
	})
	if err != nil {
		return nil, fmt.Errorf("appending the layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: epoch}
	cf.OS, cf.Architecture = "wasip1", "wasm"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	annotated := mutate.Annotations(img, map[string]string{
		"org.opencontainers.image.title":       "exeunt",
		"org.opencontainers.image.description": "Exeunt, a Proxy-Wasm HTTP filter for Envoy: single sign-on and single sign-out (" + pluginFileName + ")",
	})
	return annotated.(v1.Image), nil
}

// pluginLayer is the layer's content: a tar holding only plugin.wasm, gzipped, with
// every header field that could vary (times, owner, gzip name and time) fixed.
func pluginLayer(wasm []byte) ([]byte, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     pluginFileName,
		Size:     int64(len(wasm)),
		Mode:     0o444,
		ModTime:  epoch,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(wasm); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	var gzBuf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gzBuf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	// The zero gzip.Header: no name, no comment, modification time 0.
	if _, err := zw.Write(tarBuf.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return gzBuf.Bytes(), nil
}
