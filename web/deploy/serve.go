package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
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

// ContentSecurityPolicy is sent with every response: the page runs its
// own scripts only (no inline script, no eval; 'wasm-unsafe-eval' lets it
// compile the WebAssembly engine), in a worker of its own, shows images
// of its own, the user's uploads (blob:) and drawings (data:), uses its
// own style sheet, fetches from its own origin only, and cannot be framed
// or submit forms.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; " +
	"img-src 'self' blob: data:; style-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// Handler serves a directory built by BuildSite (or any static
// directory):
//
//   - only GET and HEAD; "/" and directories serve their index.html; no
//     listings; dot files and the .gz/.br copies are not served by name;
//   - only files inside the directory: a symbolic link is followed only
//     when it leads to a file inside it; a path with a backslash is not
//     found; a directory requested without its slash is redirected to the
//     cleaned path with one, never to another host;
//   - the precompressed sibling (.br, else .gz) when the client accepts
//     it, with Content-Encoding and Vary: Accept-Encoding;
//   - explicit Content-Type (application/wasm for .wasm), nosniff, and
//     on every response ContentSecurityPolicy and Referrer-Policy:
//     no-referrer;
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
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") || p == "/" {
		p = path.Join(p, "index.html")
	}
	base := path.Base(p)
	if strings.HasPrefix(base, ".") || strings.HasSuffix(p, ".gz") || strings.HasSuffix(p, ".br") || hidden(p) ||
		strings.ContainsAny(r.URL.Path, "\\\x00") { // also where cleaning drops it: /\x/.. is refused, not redirected
		http.NotFound(w, r)
		return
	}
	full, fi, err := s.resolve(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if fi.IsDir() {
		s.redirectDir(w, r, p)
		return
	}
	if !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	ct, ok := mimeTypes[path.Ext(p)]
	if !ok {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
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
			if sib, sfi, err := s.resolve(p + c.ext); err == nil && sfi.Mode().IsRegular() {
				send, enc = sib, c.enc
				break
			}
		}
	}
	s.sendFile(w, r, send, enc)
}

// hidden reports whether a slash-separated path has a backslash (a
// separator to some systems and browsers) or a component starting with
// a dot.
func hidden(p string) bool {
	return strings.Contains(p, "/.") || strings.ContainsAny(p, "\\\x00")
}

// resolve maps the cleaned URL path p to a file inside the served
// directory, following symbolic links only when they end inside it (both
// resolved), and not to dot files.
func (s *server) resolve(p string) (string, os.FileInfo, error) {
	root, err := filepath.EvalSymlinks(s.dir)
	if err != nil {
		return "", nil, err
	}
	if root, err = filepath.Abs(root); err != nil {
		return "", nil, err
	}
	target, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(p)))
	if err != nil {
		return "", nil, err
	}
	if target, err = filepath.Abs(target); err != nil {
		return "", nil, err
	}
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) ||
		(rel != "." && hidden("/"+filepath.ToSlash(rel))) {
		return "", nil, os.ErrNotExist
	}
	fi, err := os.Stat(target)
	return target, fi, err
}

// redirectDir redirects a directory requested without its trailing
// slash to the cleaned path p with one: always a path on this host.
func (s *server) redirectDir(w http.ResponseWriter, r *http.Request, p string) {
	loc := (&url.URL{Path: p + "/"}).EscapedPath()
	if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
		http.NotFound(w, r) // cannot happen for a cleaned path; never redirect off-site
		return
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusMovedPermanently)
}

// sendFile serves the file at full (the enc-encoded copy when enc is
// set) with its ETag, answering conditional and range requests.
func (s *server) sendFile(w http.ResponseWriter, r *http.Request, full, enc string) {
	f, err := os.Open(full)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	tag, err := s.etag(full, fi)
	if err != nil {
		http.Error(w, "cannot read file", http.StatusInternalServerError)
		return
	}
	if enc != "" {
		w.Header().Set("Content-Encoding", enc)
		tag = strings.TrimSuffix(tag, `"`) + "-" + enc + `"`
	}
	w.Header().Set("ETag", tag)
	http.ServeContent(w, r, "", fi.ModTime(), f)
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

// ServerOptions bound what clients can hold of a server: each phase of a
// connection has a deadline, and the connections open at once are
// limited, so idle or slow clients cannot exhaust file descriptors.
type ServerOptions struct {
	ReadHeaderTimeout time.Duration // to read a request's header
	ReadTimeout       time.Duration // to read a whole request
	WriteTimeout      time.Duration // to write a response (a large file to a slow client included)
	IdleTimeout       time.Duration // a keep-alive connection waiting for its next request
	MaxConns          int           // connections open at once; more wait to be accepted
	MaxHeaderBytes    int           // size of a request's header
}

// DefaultServerOptions are those aeir serve uses.
func DefaultServerOptions() ServerOptions {
	return ServerOptions{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      3 * time.Minute,
		IdleTimeout:       30 * time.Second,
		MaxConns:          256,
		MaxHeaderBytes:    64 << 10,
	}
}

// NewServer returns a server of dir (Handler) with o's timeouts. Serve
// it on a listener from LimitListener for o.MaxConns, or call Serve.
func NewServer(dir string, o ServerOptions) *http.Server {
	return &http.Server{
		Handler:           Handler(dir),
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    o.MaxHeaderBytes,
	}
}

// Serve serves dir on ln with o's timeouts and connection limit until
// ctx is done, then shuts down, letting requests in flight finish for up
// to grace.
func Serve(ctx context.Context, ln net.Listener, dir string, o ServerOptions, grace time.Duration) error {
	if o.MaxConns < 1 {
		return fmt.Errorf("serve: MaxConns %d: want at least 1", o.MaxConns)
	}
	srv := NewServer(dir, o)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(LimitListener(ln, o.MaxConns)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// LimitListener returns a listener that keeps at most n of ln's
// connections open at once: Accept waits until one of them is closed
// (the kernel queues the clients meanwhile).
func LimitListener(ln net.Listener, n int) net.Listener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: sync.OnceFunc(func() { <-l.slots })}, nil
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// limitConn gives its slot back when closed (once, however often it is).
type limitConn struct {
	net.Conn
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
