package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// distDir is what `make dist` built; make test builds it before running the tests.
const distDir = "../../dist"

// distSHA256 reads dist/sha256 and checks it names dist/exeunt.wasm and its digest.
func distSHA256(t *testing.T) string {
	t.Helper()
	sumLine, err := os.ReadFile(filepath.Join(distDir, sumFile))
	if err != nil {
		t.Fatalf("%v: run make dist first (make test does)", err)
	}
	hexSum, file, ok := strings.Cut(strings.TrimSuffix(string(sumLine), "\n"), "  ")
	if !ok || file != moduleFile || len(hexSum) != 64 {
		t.Fatalf("dist/sha256 is %q, want \"<64 hex digits>  exeunt.wasm\\n\"", sumLine)
	}
	wasm, err := os.ReadFile(filepath.Join(distDir, moduleFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256Hex(wasm); got != hexSum {
		t.Fatalf("dist/exeunt.wasm has sha256 %s, dist/sha256 says %s", got, hexSum)
	}
	return hexSum
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// onlyImage opens the single image of an OCI layout directory.
func onlyImage(t *testing.T, dir string) v1.Image {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("opening the OCI layout %s: %v", dir, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("%s holds %d manifests, want 1", dir, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("the image's blobs do not match its manifest: %v", err)
	}
	return img
}

// istioExtract takes the module out of an image the way Istio's fetcher does
// (istio/istio pkg/wasm/imagefetcher.go at 86c9f01f, PrepareFetch and
// extractOCIStandardImage; Envoy Gateway's internal/wasm/imagefetcher.go at d32f2829 is
// the same code): a Docker manifest would go to the Docker branch, so ours must not be
// one; the compat branch takes the last layer, requires the OCI tar+gzip media type, and
// returns the first tar entry whose base name is plugin.wasm.
func istioExtract(img v1.Image) ([]byte, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	if m.MediaType == types.DockerManifestSchema2 {
		return nil, errors.New("a Docker manifest: Istio would look for a Docker layer, not this variant")
	}
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		return nil, errors.New("no layers")
	}
	layer := layers[len(layers)-1]
	if mt, err := layer.MediaType(); err != nil || mt != types.OCILayer {
		return nil, errors.New("last layer is " + string(mt) + ", Istio's compat branch wants " + string(types.OCILayer))
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, err // io.EOF: plugin.wasm not found
		}
		if path.Base(h.Name) == pluginFileName {
			return io.ReadAll(tr)
		}
	}
}

func TestDistImageIsTheCompatVariantIstioAndEnvoyGatewayFetch(t *testing.T) {
	want := distSHA256(t)
	img := onlyImage(t, filepath.Join(distDir, layoutDir))

	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != 2 || m.MediaType != types.OCIManifestSchema1 {
		t.Errorf("manifest: schemaVersion %d, mediaType %q; want 2 and %q", m.SchemaVersion, m.MediaType, types.OCIManifestSchema1)
	}
	if m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("config media type %q, want %q", m.Config.MediaType, types.OCIConfigJSON)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != types.OCILayer {
		t.Fatalf("layers %+v, want exactly one %q", m.Layers, types.OCILayer)
	}
	wasm, err := istioExtract(img)
	if err != nil {
		t.Fatalf("extracting as Istio does: %v", err)
	}
	if got := sha256Hex(wasm); got != want {
		t.Fatalf("plugin.wasm in the image has sha256 %s, dist/sha256 says %s", got, want)
	}
	d, _ := img.Digest()
	digestLine, err := os.ReadFile(filepath.Join(distDir, digestFile))
	if err != nil || string(digestLine) != d.String()+"\n" {
		t.Errorf("dist/image-digest is %q (%v), the layout's image is %s", digestLine, err, d)
	}
}

// The tarball is the same layout: unpacked, it holds the same image.
func TestDistArchiveHoldsTheSameImage(t *testing.T) {
	want := distSHA256(t)
	f, err := os.Open(filepath.Join(distDir, archiveFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(h.Name, "..") || path.IsAbs(h.Name) {
			t.Fatalf("archive entry %q escapes the layout", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			err = os.MkdirAll(p, 0o755)
		} else {
			var b []byte
			if b, err = io.ReadAll(tr); err == nil {
				err = os.WriteFile(p, b, 0o644)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	fromArchive := onlyImage(t, dir)
	fromDir := onlyImage(t, filepath.Join(distDir, layoutDir))
	a, _ := fromArchive.Digest()
	b, _ := fromDir.Digest()
	if a != b {
		t.Fatalf("the archive's image is %s, the layout's %s", a, b)
	}
	wasm, err := istioExtract(fromArchive)
	if err != nil || sha256Hex(wasm) != want {
		t.Fatalf("module from the archive: %v, sha256 %s, want %s", err, sha256Hex(wasm), want)
	}
}

// Pushed to a registry and pulled back with the calls Istio's fetcher makes
// (remote.Get, Descriptor.Image, Image.Digest for its cache key), the module is intact.
func TestDistImageThroughARegistry(t *testing.T) {
	want := distSHA256(t)
	img := onlyImage(t, filepath.Join(distDir, layoutDir))
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer reg.Close()
	ref, err := name.ParseReference(strings.TrimPrefix(reg.URL, "http://")+"/exeunt/exeunt:test", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push: %v", err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatalf("remote.Get: %v", err)
	}
	pulled, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	pd, _ := pulled.Digest()
	ld, _ := img.Digest()
	if pd != ld {
		t.Fatalf("pulled %s, pushed %s", pd, ld)
	}
	wasm, err := istioExtract(pulled)
	if err != nil || sha256Hex(wasm) != want {
		t.Fatalf("module pulled back: %v, sha256 %s, want %s", err, sha256Hex(wasm), want)
	}
}

// Two builds of the same module give the same bytes: what make dist wrote is rebuilt
// here, twice, and compared file by file.
func TestDistIsReproducible(t *testing.T) {
	distSHA256(t)
	wasm, err := os.ReadFile(filepath.Join(distDir, moduleFile))
	if err != nil {
		t.Fatal(err)
	}
	tag := onlyTag(t)
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if _, err := writeDist(dir, wasm, tag); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{sumFile, digestFile, archiveFile} {
		orig, _ := os.ReadFile(filepath.Join(distDir, f))
		for _, dir := range []string{a, b} {
			got, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || !bytes.Equal(got, orig) {
				t.Errorf("%s differs between make dist and a rebuild of the same module (%v)", f, err)
			}
		}
	}
}

// onlyTag is the tag make dist recorded, so that the rebuild uses the same.
func onlyTag(t *testing.T) string {
	idx, err := layout.ImageIndexFromPath(filepath.Join(distDir, layoutDir))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index: %v", err)
	}
	return im.Manifests[0].Annotations["org.opencontainers.image.ref.name"]
}
