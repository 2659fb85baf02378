package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWorkGoMod(t *testing.T) {
	in := "module aeir/kernel\n\ngo 1.26\n\nrequire aeir v0.0.0\n\nreplace aeir => ../\n"
	out, err := workGoMod([]byte(in), "/abs/root")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	wd, _ := os.Getwd()
	for _, want := range []string{"module main\n", "replace aeir => /abs/root\n", "replace aeir/kernel => " + wd} {
		if !strings.Contains(s, want) {
			t.Errorf("work go.mod lacks %q:\n%s", want, s)
		}
	}
	if _, err := workGoMod([]byte("module x\n"), "/r"); err == nil {
		t.Error("a go.mod without the aeir replace was accepted")
	}
}

func TestReplaceGeneratedKeepsHandWritten(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("imports.go", "package imports\n")
	write("old.go", generatedHeader+" import _b \"old\"\npackage imports\n")
	write("fmt.go", generatedHeader+" import _b \"fmt\"\npackage imports\n// stale\n")
	fresh := map[string][]byte{"fmt.go": []byte(generatedHeader + " import _b \"fmt\"\npackage imports\n")}
	if err := replaceGenerated(dir, fresh); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	var got []string
	for _, n := range names {
		got = append(got, filepath.Base(n))
	}
	if strings.Join(got, " ") != "fmt.go imports.go" {
		t.Errorf("files after regeneration: %v", got)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "fmt.go"))
	if strings.Contains(string(b), "stale") {
		t.Error("fmt.go was not replaced")
	}
}
