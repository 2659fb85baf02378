package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"aeir/web/deploy"
)

// TestServedSecurityHeaders: the built site's page, worker and engine
// come with the content security policy and its companions.
func TestServedSecurityHeaders(t *testing.T) {
	needBrowser(t)
	for _, p := range []string{"/", "/site/worker.js", "/site/aeir.wasm", "/sw.js"} {
		res, err := http.Get(env.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		h := res.Header
		if res.StatusCode != 200 || h.Get("Content-Security-Policy") != deploy.ContentSecurityPolicy ||
			h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %v", p, res.StatusCode, h)
		}
	}
}

// cspWatch records the page's content-security-policy violations: the
// securitypolicyviolation events of every document the tab loads, and the
// browser's console messages about the policy.
type cspWatch struct {
	mu      sync.Mutex
	console []string
}

func watchCSP(d *demo) *cspWatch {
	w := &cspWatch{}
	d.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.__csp = [];
			document.addEventListener("securitypolicyviolation", (e) =>
				window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));`})
		return err
	}))
	messages := chromedp.Console(d.ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
				w.mu.Lock()
				w.console = append(w.console, m.Text)
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *cspWatch) check(d *demo) {
	d.t.Helper()
	if v := eval[[]string](d, `window.__csp || ["the violation recorder is missing"]`); len(v) > 0 {
		d.t.Errorf("content security policy violations: %q", v)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.console) > 0 {
		d.t.Errorf("console: %q", w.console)
	}
}

// TestNoCSPViolations uses every part of the page under the server's
// content security policy — load (engine, worker, model), sentence
// search (score bars styled from script), a result's sentences (tiles as
// data: URLs), an uploaded picture (a blob: preview), the drawing pad's
// swatches, a form submission — and sees no violation and everything
// working.
func TestNoCSPViolations(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	w := watchCSP(d)
	d.open("")
	if got := d.search("red heart"); len(got) != 10 {
		t.Fatalf("sentence search: %d results", len(got))
	}
	if width := eval[string](d, `document.querySelector("#image-results .bar i").style.width`); !strings.HasSuffix(width, "%") {
		t.Errorf("score bar width %q: the style set from script did not apply", width)
	}
	d.do(chromedp.Click(chromedp.CSS(`#image-results .card`)))
	d.waitFor(`document.querySelectorAll("#text-results li").length === 10`, stepTimeout)
	d.waitFor(`(() => { const i = document.getElementById("query-img"); return i.complete && i.naturalWidth > 0 && i.src.startsWith("data:") })()`, stepTimeout)
	id := d.ds.Splits.Protocols["shared"].Test[0]
	d.upload("#file", writePNG(t, "csp-upload.png", deploy.OpaqueTile(d.ds, "openmoji", id, 2)))
	d.waitFor(`document.getElementById("query-title").textContent.includes("csp-upload.png")`, stepTimeout)
	d.waitFor(`(() => { const i = document.getElementById("query-img"); return i.complete && i.naturalWidth > 0 && i.src.startsWith("blob:") })()`, stepTimeout)
	if bg := eval[string](d, `getComputedStyle(document.querySelector("#palette .swatch")).backgroundColor`); bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("pen swatch background %q: the style set from script did not apply", bg)
	}
	const page = `location.href.split("#")[0]` // the search itself sets the fragment
	before := eval[string](d, page)
	eval[bool](d, `(document.getElementById("search-form").requestSubmit(), true)`)
	if got := d.search("dog"); len(got) != 10 || eval[string](d, page) != before {
		t.Errorf("after submitting the search form: %d results, at %s (was %s)", len(got), eval[string](d, page), before)
	}
	w.check(d)
}

// bigMetadataJPEG is a small JPEG with 1 MB of metadata segments before
// its frame header, which declares w × h pixels. With cut, the file ends
// after the frame header: a decoder fails on it at once, so a page that
// decodes before checking the size says "could not be decoded" where a
// page that checks first names the size.
func bigMetadataJPEG(t *testing.T, w, h int, cut bool) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, deploy.OpaqueTile(env.ds, "openmoji", 0, 1), nil); err != nil {
		t.Fatal(err)
	}
	j := b.Bytes()
	sof := bytes.Index(j, []byte{0xff, 0xc0})
	if sof < 0 {
		t.Fatal("no SOF0 marker")
	}
	binary.BigEndian.PutUint16(j[sof+5:], uint16(h))
	binary.BigEndian.PutUint16(j[sof+7:], uint16(w))
	if cut {
		j = j[:sof+2+int(binary.BigEndian.Uint16(j[sof+2:]))]
	}
	out := append([]byte{}, j[:2]...)
	for range 16 {
		out = append(out, 0xff, 0xe1, 0xff, 0xff) // APP1 of 65,535 bytes
		out = append(out, bytes.Repeat([]byte("metadata"), 65533/8)...)
		out = append(out, make([]byte, 65533%8)...)
	}
	return append(out, j[2:]...)
}

// TestLargeJPEGMetadata: an upload whose JPEG frame header follows 1 MB
// of metadata is measured before it is decoded: 16,000 × 16,000 pixels
// are refused with the size named (not handed to the decoder), and a
// picture of normal size is searched with.
func TestLargeJPEGMetadata(t *testing.T) {
	needBrowser(t)
	d := newDemo(t, env.bctx, env.srv.URL)
	d.open("")
	big := filepath.Join(env.tmp, "huge-metadata.jpg")
	if err := os.WriteFile(big, bigMetadataJPEG(t, 16000, 16000, true), 0o644); err != nil {
		t.Fatal(err)
	}
	d.responsive("16,000 × 16,000 JPEG behind 1 MB of metadata", func() {
		eval[bool](d, `(document.getElementById("i-msg").textContent = "", true)`)
		d.upload("#file", big)
		d.waitFor(`(() => { const m = document.getElementById("i-msg").textContent; return m !== "" && !m.startsWith("Reading") })()`, stepTimeout)
	})
	if got := msgOf(d, "i-msg"); !strings.Contains(got, "16,000 × 16,000 pixels") {
		t.Errorf("message %q: want the size refused before decoding", got)
	}
	ok := filepath.Join(env.tmp, "normal-metadata.jpg")
	m := bigMetadataJPEG(t, env.ds.Manifest.Size, env.ds.Manifest.Size, false)
	if err := os.WriteFile(ok, m, 0o644); err != nil {
		t.Fatal(err)
	}
	eval[bool](d, `(document.getElementById("text-results").replaceChildren(), true)`)
	d.upload("#file", ok)
	d.waitFor(`document.querySelectorAll("#text-results li").length === 10`, stepTimeout)
	if caption := eval[string](d, `document.getElementById("query-caption").textContent`); !strings.Contains(caption, "JPEG") {
		t.Errorf("caption %q of a JPEG with 1 MB of metadata", caption)
	}
}
