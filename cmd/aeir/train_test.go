package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aeir/train"
)

// aeir train never replaces an earlier run in -out unless told to with
// -force, which removes only the run's files.
func TestTrainForce(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-method", "cca", "-q", "-out", out}
	if err := trainCmd(args); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(out, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := trainCmd(args)
	if err == nil || !strings.Contains(err.Error(), train.BestFile) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("a second run into %s: got %v, want a refusal naming %s and -force", out, err, train.BestFile)
	}
	if err := trainCmd(append(args, "-force", "-resume")); err == nil {
		t.Fatal("-force with -resume should be refused")
	}
	if err := trainCmd(append(args, "-force")); err != nil {
		t.Fatalf("-force: %v", err)
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
		t.Fatalf("-force touched a file that is not the run's: %q, %v", b, err)
	}
}
