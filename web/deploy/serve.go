package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// mimeTypes are set explicitly rather than from the system's tables,
// which differ between machines (application/wasm is required for
// WebAssembly streaming compilation).
var mimeTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".wasm": "application/wasm",
	".aeir": "application/octet-stream",
	".png":  "image/png",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
	".md":   "text/markdown; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",

	".webmanifest": "application/manifest+json",
}

// Handler serves a directory built by BuildSite (or any static
// directory):
//
//   - only GET and HEAD; "/" and directories serve their index.html; no
//     listings; dot files and the .gz/.br copies are not served by name;
//   - the precompressed sibling (.br, else .gz) when the client accepts
//     it, with Content-Encoding and Vary: Accept-Encoding;
//   - explicit Content-Type (application/wasm for .wasm), nosniff;
//   - a strong ETag (SHA-256 of the file) and Last-Modified, so
//     revalidation costs a 304;
//   - Cache-Control: immutable for a year when the URL carries a version
//     (?v=…, as the page requests model, galleries, corpus and sprites,
//     whose hashes the manifest holds), otherwise no-cache (revalidate
//     every time: the page, scripts, engine, manifest and service worker
//     must never be stale).
func Handler(dir string) http.Handler {
	return &server{dir: dir, etags: map[string]etag{}}
}

type server struct {
	dir   string
	mu    sync.Mutex
	etags map[string]etag
}

type etag struct {
	mod  time.Time
	size int64
	tag  string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") || p == "/" {
		p = path.Join(p, "index.html")
	}
	base := path.Base(p)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") || strings.Contains(p, "/.") {
		http.NotFound(w, r)
		return
	}
	full := filepath.Join(s.dir, filepath.FromSlash(p))
	fi, err := os.Stat(full)
	if err == nil && fi.IsDir() {
		http.Redirect(w, r, r.URL.Path+"/", http.StatusMovedPermanently)
		return
	}
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	ct, ok := mimeTypes[path.Ext(p)]
	if !ok {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if r.URL.Query().Get("v") != "" {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if base == "sw.js" {
		h.Set("Service-Worker-Allowed", "/")
	}
	send, enc := full, ""
	accept := r.Header.Get("Accept-Encoding")
	for _, c := range []struct{ enc, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if acceptsEncoding(accept, c.enc) {
			if _, err := os.Stat(full + c.ext); err == nil {
				send, enc = full+c.ext, c.enc
				break
			}
		}
	}
	f, err := os.Open(send)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	sfi, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	tag, err := s.etag(send, sfi)
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	if enc != "" {
		h.Set("Content-Encoding", enc)
		tag = strings.TrimSuffix(tag, `"`) + "-" + enc + `"`
	}
	h.Set("ETag", tag)
	http.ServeContent(w, r, "", sfi.ModTime(), f)
}

// etag returns the strong ETag of a file, cached by modification time
// and size.
func (s *server) etag(p string, fi os.FileInfo) (string, error) {
	s.mu.Lock()
	e, ok := s.etags[p]
	s.mu.Unlock()
	if ok && e.mod.Equal(fi.ModTime()) && e.size == fi.Size() {
		return e.tag, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	s.mu.Lock()
	s.etags[p] = etag{fi.ModTime(), fi.Size(), tag}
	s.mu.Unlock()
	return tag, nil
}

// acceptsEncoding reports whether an Accept-Encoding header allows enc
// (present and not with q=0).
func acceptsEncoding(header, enc string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.TrimSpace(k) == "q" {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}
