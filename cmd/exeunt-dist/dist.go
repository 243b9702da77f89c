package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// The files writeDist writes in its output directory.
const (
	moduleFile  = "exeunt.wasm"    // the module, byte for byte as built
	sumFile     = "sha256"         // "<hex>  exeunt.wasm\n", as sha256sum writes (sha256sum -c sha256)
	layoutDir   = "oci"            // the image as an OCI image layout directory
	archiveFile = "exeunt-oci.tar" // that directory as one tar (an "oci-archive")
	digestFile  = "image-digest"   // the image manifest's digest, "sha256:<hex>\n"
)

type distResult struct {
	moduleSHA256 string // hex
	imageDigest  string // "sha256:<hex>"
}

// writeDist replaces dir with the distribution of wasm, tagged tag in the layout's index.
func writeDist(dir string, wasm []byte, tag string) (distResult, error) {
	var res distResult
	img, err := pluginImage(wasm)
	if err != nil {
		return res, err
	}
	digest, err := img.Digest()
	if err != nil {
		return res, err
	}
	sum := sha256.Sum256(wasm)
	res.moduleSHA256, res.imageDigest = hex.EncodeToString(sum[:]), digest.String()

	if err := os.RemoveAll(dir); err != nil {
		return res, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	files := map[string][]byte{
		moduleFile: wasm,
		sumFile:    []byte(res.moduleSHA256 + "  " + moduleFile + "\n"),
		digestFile: []byte(res.imageDigest + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return res, err
		}
	}
	lp, err := layout.Write(filepath.Join(dir, layoutDir), empty.Index)
	if err != nil {
		return res, fmt.Errorf("OCI layout: %w", err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag,
	})); err != nil {
		return res, fmt.Errorf("OCI layout: %w", err)
	}
	archive, err := tarDir(filepath.Join(dir, layoutDir))
	if err != nil {
		return res, fmt.Errorf("archiving the OCI layout: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, archiveFile), archive, 0o644); err != nil {
		return res, err
	}
	return res, nil
}

// tarDir archives a directory's content (paths relative to it, in sorted order, with
// fixed times, owners and modes), so that the same files always give the same bytes.
func tarDir(root string) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil, err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), ModTime: epoch, Format: tar.FormatPAX}
		var data []byte
		switch {
		case info.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
		case info.Mode().IsRegular():
			if data, err = os.ReadFile(p); err != nil {
				return nil, err
			}
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, int64(len(data))
		default:
			return nil, fmt.Errorf("%s: not a regular file or directory", p)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
