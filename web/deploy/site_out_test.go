package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// quickSite returns options building a site from the committed assets
// (the shipped model) with a stand-in engine, into out.
func quickSite(t *testing.T, out string) SiteOptions {
	t.Helper()
	fake := filepath.Join(t.TempDir(), "fake.wasm")
	if err := os.WriteFile(fake, []byte("\x00asm stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	return SiteOptions{Root: "../..", Assets: "../../site/assets", Wasm: fake, WasmExec: fake, Out: out, Brotli: -1}
}

// names lists a directory's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

// TestBuildSiteRefusesForeignOut: an output directory that no site build
// wrote — sources, a file, a link, a wrong marker, a build.json beside
// other files — is refused by name, and nothing in it or beside it
// changes.
func TestBuildSiteRefusesForeignOut(t *testing.T) {
	tmp := t.TempDir()
	write := func(p, content string) {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sources := filepath.Join(tmp, "site")
	write(filepath.Join(sources, "app.js"), "// the page's sources")
	file := filepath.Join(tmp, "notes.txt")
	write(file, "a file")
	link := filepath.Join(tmp, "link")
	if err := os.Symlink(sources, link); err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(tmp, "wrong")
	write(filepath.Join(wrong, SiteMarker), "something else\n")
	write(filepath.Join(wrong, "keep.txt"), "mine")
	extra := filepath.Join(tmp, "extra")
	write(filepath.Join(extra, "build.json"), `{"version": "abc", "files": [{"path": "index.html"}]}`)
	write(filepath.Join(extra, "index.html"), "<p>")
	write(filepath.Join(extra, "thesis.tex"), "mine")
	before := names(t, tmp)
	for _, c := range []struct{ out, why string }{
		{sources, "no .aeir-site marker"}, {file, "it is a file"}, {link, "symbolic link"},
		{wrong, "no .aeir-site marker"}, {extra, "no .aeir-site marker"},
	} {
		_, err := BuildSite(quickSite(t, c.out))
		if err == nil || !strings.Contains(err.Error(), "refusing to replace "+c.out) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("-out %s: %v, want a refusal naming it and saying %q", c.out, err, c.why)
		}
	}
	if b, err := os.ReadFile(filepath.Join(sources, "app.js")); err != nil || string(b) != "// the page's sources" {
		t.Errorf("the sources changed: %q %v", b, err)
	}
	for _, p := range []string{file, filepath.Join(wrong, "keep.txt"), filepath.Join(extra, "thesis.tex")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s is gone", p)
		}
	}
	if after := names(t, tmp); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("the refused builds changed %s: %v, was %v", tmp, after, before)
	}
}

// TestBuildSiteReplacesOwnOut: a new or empty directory is built into; a
// directory a build wrote (marker, or a complete build.json from before
// the marker) is replaced; a failed build leaves the previous one whole.
func TestBuildSiteReplacesOwnOut(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "dist")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	o := quickSite(t, out)
	if _, err := BuildSite(o); err != nil {
		t.Fatalf("an empty directory: %v", err)
	}
	if m, err := os.ReadFile(filepath.Join(out, SiteMarker)); err != nil || string(m) != siteMarkerText {
		t.Fatalf("marker %q %v", m, err)
	}
	os.WriteFile(filepath.Join(out, "stale.txt"), []byte("left by hand"), 0o644)
	if _, err := BuildSite(o); err != nil {
		t.Fatalf("a directory the last build wrote: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "stale.txt")); err == nil {
		t.Error("the rebuild kept a file of the old directory: not replaced as a whole")
	}
	// A build that fails half-way leaves the previous site as it was and
	// nothing beside it.
	before := names(t, out)
	sentinel := filepath.Join(out, "site", "sentinel.txt")
	os.WriteFile(sentinel, []byte("still here"), 0o644)
	bad := o
	bad.WasmExec = filepath.Join(tmp, "missing.js")
	if _, err := BuildSite(bad); err == nil || !strings.Contains(err.Error(), "missing.js") {
		t.Fatalf("a missing wasm_exec.js: %v", err)
	}
	if b, err := os.ReadFile(sentinel); err != nil || string(b) != "still here" || strings.Join(names(t, out), " ") != strings.Join(before, " ") {
		t.Errorf("the failed build changed the previous site: %v", err)
	}
	if n := names(t, tmp); len(n) != 1 || n[0] != "dist" {
		t.Errorf("left beside the site: %v", n)
	}
	os.Remove(sentinel)
	// A build from before the marker: replaced when build.json lists
	// every file, refused with anything else in it.
	os.Remove(filepath.Join(out, SiteMarker))
	if _, err := BuildSite(o); err != nil {
		t.Fatalf("a build without the marker whose build.json lists every file: %v", err)
	}
	os.Remove(filepath.Join(out, SiteMarker))
	os.WriteFile(filepath.Join(out, "site", "mine.txt"), []byte("not listed"), 0o644)
	if _, err := BuildSite(o); err == nil || !strings.Contains(err.Error(), "refusing to replace") {
		t.Fatalf("an old build with an unlisted file: %v", err)
	}
}
