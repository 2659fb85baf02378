package deploy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// siteDir writes a small site: name → content, directories made as
// needed.
func siteDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// raw sends a request exactly as written (the request line parsed as the
// server parses it) to h.
func raw(t *testing.T, h http.Handler, requestLine string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	msg := requestLine + " HTTP/1.1\r\nHost: aeir.test\r\n" + strings.Join(header, "") + "\r\n"
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(msg)))
	if err != nil {
		t.Fatalf("%s: %v", requestLine, err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestRedirectStaysOnHost: a directory asked for without its slash is
// redirected to its cleaned path on this host, however the path is
// spelled; a Location never starts with // or /\ (which browsers follow
// to another host).
func TestRedirectStaysOnHost(t *testing.T) {
	dir := siteDir(t, map[string]string{"index.html": "<p>home", "site/app.js": "1", "example.com/index.html": "x", `\example.com/index.html`: "x"})
	h := Handler(dir)
	for _, c := range []struct {
		line     string
		code     int
		location string
	}{
		{"GET //example.com%2F..%2Fsite", 301, "/site/"},
		{"GET //example.com", 301, "/example.com/"},
		{"GET /%2F%2Fexample.com", 301, "/example.com/"},
		{"GET ///example.com/../site?x=1", 301, "/site/?x=1"},
		{"GET //x/..%2f", 200, ""},
		{"GET //x/..%2f..%2f..%2fsite", 301, "/site/"},
		{`GET /\example.com`, 404, ""},
		{`GET /%5Cexample.com`, 404, ""},
		{`GET /%5C%5Cexample.com%2F..%2Fsite`, 404, ""},
		{"GET /site", 301, "/site/"},
	} {
		rec := raw(t, h, c.line)
		loc := rec.Header().Get("Location")
		if rec.Code != c.code || loc != c.location {
			t.Errorf("%s: %d Location %q, want %d %q", c.line, rec.Code, loc, c.code, c.location)
		}
		if loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, `/\`)) {
			t.Errorf("%s: Location %q leaves the host", c.line, loc)
		}
	}
}

// TestSymlinks: a link inside the served directory to a file or
// directory outside it is not followed; a link to a file inside is; the
// served directory may itself be reached through a link.
func TestSymlinks(t *testing.T) {
	outside := siteDir(t, map[string]string{"secret.txt": "outside secret", "index.html": "outside page"})
	dir := siteDir(t, map[string]string{"index.html": "<p>home", "site/app.js": "console.log(1)", ".private": "hidden"})
	link := func(target, name string) {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	link(filepath.Join(outside, "secret.txt"), "leak.txt")
	link(outside, "ext")
	link(filepath.Join(outside, "secret.txt"), "site/app.js.br")
	link("app.js", "site/inside.js")
	link(filepath.Join(dir, ".private"), "private.txt")
	h := Handler(dir)
	for _, p := range []string{"/leak.txt", "/ext", "/ext/", "/ext/secret.txt", "/private.txt"} {
		if rec := raw(t, h, "GET "+p); rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "outside") {
			t.Errorf("%s: %d %q, want 404", p, rec.Code, rec.Body)
		}
	}
	if rec := raw(t, h, "GET /site/inside.js"); rec.Code != 200 || rec.Body.String() != "console.log(1)" {
		t.Errorf("link to a file inside: %d %q", rec.Code, rec.Body)
	}
	rec := raw(t, h, "GET /site/app.js", "Accept-Encoding: br\r\n")
	if rec.Code != 200 || rec.Body.String() != "console.log(1)" || rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("a .br copy linked outside: %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	via := filepath.Join(t.TempDir(), "current")
	if err := os.Symlink(dir, via); err != nil {
		t.Fatal(err)
	}
	if rec := raw(t, Handler(via), "GET /site/app.js"); rec.Code != 200 || rec.Body.String() != "console.log(1)" {
		t.Errorf("served directory behind a link: %d %q", rec.Code, rec.Body)
	}
}

// TestSecurityHeaders: every response — page, script, redirect, not
// found, refused method — carries the content security policy, no
// referrer and nosniff; the policy allows no inline script or eval.
func TestSecurityHeaders(t *testing.T) {
	h := Handler(siteDir(t, map[string]string{"index.html": "<p>home", "site/app.js": "1"}))
	for _, line := range []string{"GET /", "GET /site/app.js", "GET /site", "GET /nope", "POST /", "HEAD /"} {
		hd := raw(t, h, line).Header()
		if hd.Get("Content-Security-Policy") != ContentSecurityPolicy || hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", line, hd)
		}
	}
	dirs := map[string]string{}
	for _, d := range strings.Split(ContentSecurityPolicy, ";") {
		f := strings.Fields(d)
		dirs[f[0]] = strings.Join(f[1:], " ")
	}
	for name, want := range map[string]string{
		"default-src": "'self'", "script-src": "'self' 'wasm-unsafe-eval'", "worker-src": "'self'", "img-src": "'self' blob: data:",
		"style-src": "'self'", "connect-src": "'self'", "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'none'",
	} {
		if dirs[name] != want {
			t.Errorf("%s %q, want %q", name, dirs[name], want)
		}
	}
}

// serveTest serves a small site with o on a local port; the server
// stops with the test.
func serveTest(t *testing.T, o ServerOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := siteDir(t, map[string]string{"index.html": "<p>home"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, dir, o, time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// keepAlive opens a connection, gets the page on it and leaves it open
// and idle, as a browser's keep-alive connection.
func keepAlive(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	br := bufio.NewReader(c)
	if code := request(t, c, br, time.Minute); code != 200 {
		t.Fatalf("keep-alive request: %d", code)
	}
	return c, br
}

// request sends GET / on c and reads the response; a guard deadline
// against hangs (not a measurement) ends the wait with code 0.
func request(t *testing.T, c net.Conn, br *bufio.Reader, guard time.Duration) int {
	t.Helper()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: aeir.test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(guard))
	defer c.SetReadDeadline(time.Time{})
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0
		}
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// closedByServer reports whether the server closed c (a guard deadline
// against hangs).
func closedByServer(c net.Conn, br *bufio.Reader) bool {
	c.SetReadDeadline(time.Now().Add(time.Minute))
	_, err := br.ReadByte()
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded) // EOF, or reset
}

func testOptions() ServerOptions {
	return ServerOptions{ReadHeaderTimeout: time.Minute, ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: time.Hour, MaxConns: 2, MaxHeaderBytes: 4096}
}

// TestServeIdleConnections: idle keep-alive connections filling the
// connection limit are closed after the idle timeout, and a new client
// is then served.
func TestServeIdleConnections(t *testing.T) {
	o := testOptions()
	o.IdleTimeout = 50 * time.Millisecond
	addr := serveTest(t, o)
	c1, b1 := keepAlive(t, addr)
	c2, b2 := keepAlive(t, addr)
	client := &http.Client{Timeout: time.Minute} // a guard against hangs
	res, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("a new client while %d idle connections held the limit: %v", o.MaxConns, err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("new client: %d", res.StatusCode)
	}
	if !closedByServer(c1, b1) || !closedByServer(c2, b2) {
		t.Error("the idle connections were not closed by the server")
	}
}

// TestServeConnectionLimit: with the limit held by open connections, a
// further client waits — it is not answered — until one of them closes,
// then it is served.
func TestServeConnectionLimit(t *testing.T) {
	addr := serveTest(t, testOptions())
	c1, _ := keepAlive(t, addr)
	keepAlive(t, addr)
	c3, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	b3 := bufio.NewReader(c3)
	if code := request(t, c3, b3, 300*time.Millisecond); code != 0 {
		t.Fatalf("a third connection over the limit of 2 was answered (%d)", code)
	}
	c1.Close()
	c3.SetReadDeadline(time.Now().Add(time.Minute))
	res, err := http.ReadResponse(b3, nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("after a connection closed, the waiting client: %v", err)
	}
	res.Body.Close()
}

// TestServeSlowHeader: a client that never finishes its request header
// is disconnected after ReadHeaderTimeout, freeing its slot.
func TestServeSlowHeader(t *testing.T) {
	o := testOptions()
	o.ReadHeaderTimeout, o.MaxConns = 50*time.Millisecond, 1
	addr := serveTest(t, o)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: aeir")
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if b, err := io.ReadAll(c); err != nil || strings.Contains(string(b), "200 OK") {
		t.Fatalf("slow header: %q %v, want the connection closed", b, err)
	}
	keepAlive(t, addr) // the slot is free again
}

func TestServerOptions(t *testing.T) {
	o := DefaultServerOptions()
	s := NewServer(t.TempDir(), o)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 || o.MaxConns < 1 {
		t.Errorf("server %+v, options %+v: every bound must be set", s, o)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	if err := Serve(context.Background(), ln, t.TempDir(), ServerOptions{}, time.Second); err == nil {
		t.Error("no connection limit accepted")
	}
}
