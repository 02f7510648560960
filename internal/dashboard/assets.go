package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// asset is one embedded file as served: its bytes, their gzip
// compression, and its content-hashed name.
type asset struct {
	name, hashed, etag, contentType string
	plain, gz                       []byte
}

// assetSet holds the embedded assets, compressed once when the dashboard
// is made: the binary carries each asset once (embed), and no request
// pays for compressing it.
type assetSet struct {
	byName   map[string]*asset // "echarts.min.js"
	byHashed map[string]*asset // "echarts.min.3f2a9c1b0d4e.js"
}

// compressible are the types worth gzipping (an SVG is text too).
var compressible = map[string]bool{".js": true, ".css": true, ".svg": true, ".md": true, ".geojson": true, ".json": true}

// loadAssets reads the assets of fsys, hashes and compresses them.
func loadAssets(fsys fs.FS) (*assetSet, error) {
	set := &assetSet{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	// Every file, in subfolders too (maps/: the boundaries of the map).
	var names []string
	err := fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard assets: %w", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := newAsset(fsys, name)
			if err != nil {
				errs[i] = err
				return
			}
			mu.Lock()
			set.byName[a.name], set.byHashed[a.hashed] = a, a
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return set, nil
}

func newAsset(fsys fs.FS, name string) (*asset, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("dashboard asset %s: %w", name, err)
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:6])
	ext := path.Ext(name)
	if strings.HasSuffix(name, ".min.js") {
		ext = ".js" // echarts.min.<hash>.js
	}
	a := &asset{name: name, hashed: strings.TrimSuffix(name, ext) + "." + h + ext, etag: `"` + h + `"`,
		contentType: mime.TypeByExtension(path.Ext(name)), plain: b}
	if path.Ext(name) == ".geojson" {
		a.contentType = "application/geo+json"
	}
	if a.contentType == "" {
		a.contentType = "application/octet-stream"
	}
	if compressible[path.Ext(name)] {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(b); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", name, err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip %s: %w", name, err)
		}
		if buf.Len() < len(b) {
			a.gz = buf.Bytes()
		}
	}
	return a, nil
}

// URL returns the content-hashed address of the asset named name (its
// bytes change, its address changes), or the plain address when there is
// no such asset.
func (s *assetSet) URL(name string) string {
	if a := s.byName[name]; a != nil {
		return AssetsHost + a.hashed
	}
	return AssetsHost + name
}

// hashedURL turns an asset address of go-echarts (AssetsHost + name) into
// its content-hashed one.
func (s *assetSet) hashedURL(u string) string {
	if name, ok := strings.CutPrefix(u, AssetsHost); ok {
		return s.URL(name)
	}
	return u
}

// ServeHTTP answers /dashboard/assets/<name>: a content-hashed name for a
// year, immutable (the address changes with the bytes), a plain name for
// an hour; gzip-compressed when the client accepts it.
func (s *assetSet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, AssetsHost)
	a, immutable := s.byHashed[name], true
	if a == nil {
		a, immutable = s.byName[name], false
	}
	if a == nil {
		http.NotFound(w, r)
		return
	}
	serveAsset(w, r, a, immutable)
}

// FaviconPath is where browsers ask for a site's icon unasked (it was
// 404): the embedded favicon.svg is served there too, public like the
// other assets.
const FaviconPath = "/favicon.ico"

// favicon answers FaviconPath with favicon.svg (an SVG served as such:
// browsers read its type, not the name), cached like an asset's plain name.
func (s *assetSet) favicon(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, s.byName["favicon.svg"], false)
}

// serveAsset answers a with its caching headers: a content-hashed name
// (immutable) for a year, any other for an hour.
func serveAsset(w http.ResponseWriter, r *http.Request, a *asset, immutable bool) {
	h := w.Header()
	if immutable {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	body := a.plain
	if a.gz != nil {
		h.Set("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
	}
	// ServeContent answers If-None-Match with 304 and ranges of the body
	// sent (of the gzip stream when compressed, as RFC 9110 says).
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reads an Accept-Encoding header: gzip (or *) with a
// weight above zero.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if q, err := strconv.ParseFloat(v, 64); err != nil || q <= 0 {
				return false
			}
		}
		return true
	}
	return false
}
