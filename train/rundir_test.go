package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run whose checkpoint was pruned is still a run: a new one must not
// replace its files unless told to, and RemoveRun deletes only run files.
func TestNewRefusesEarlierRun(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Epochs = 1
	dir := t.TempDir()
	runSmall(t, task, opt, dir, 0, false)
	if err := os.Remove(filepath.Join(dir, CheckpointFile)); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(task, opt, dir, false)
	if err == nil || !strings.Contains(err.Error(), BestFile) || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("a new run over a pruned one: got %v, want a refusal naming %s and -force", err, BestFile)
	}
	if _, err := New(task, opt, dir, true); err == nil || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("resuming a run without its checkpoint: got %v, want a refusal pointing to -force", err)
	}
	if err := RemoveRun(dir); err != nil {
		t.Fatal(err)
	}
	if err := CheckFresh(dir); err != nil {
		t.Fatalf("after RemoveRun: %v", err)
	}
	if b, err := os.ReadFile(notes); err != nil || string(b) != "mine" {
		t.Fatalf("RemoveRun touched a file that is not the run's: %q, %v", b, err)
	}
	if _, err := New(task, opt, dir, false); err != nil {
		t.Fatalf("a new run after RemoveRun: %v", err)
	}
}

// A kill between the checkpoint and the history write leaves the history
// short or missing; resuming rewrites it from the checkpoint.
func TestResumeRepairsHistory(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	opt.Epochs = 2
	dir := t.TempDir()
	runSmall(t, task, opt, dir, 0, false)
	hist := filepath.Join(dir, HistoryFile)
	want, err := os.ReadFile(hist)
	if err != nil {
		t.Fatal(err)
	}
	var full []Epoch
	if err := json.Unmarshal(want, &full); err != nil || len(full) != 2 {
		t.Fatalf("history after 2 epochs: %d epochs, %v", len(full), err)
	}
	short, _ := json.Marshal(full[:1])
	for name, damage := range map[string]func() error{
		"missing": func() error { return os.Remove(hist) },
		"short":   func() error { return os.WriteFile(hist, short, 0o644) },
	} {
		if err := damage(); err != nil {
			t.Fatal(err)
		}
		runSmall(t, task, opt, dir, 0, true) // every epoch is done: resume only repairs
		got, err := os.ReadFile(hist)
		if err != nil {
			t.Fatalf("%s history: after resume: %v", name, err)
		}
		if string(got) != string(want) {
			t.Errorf("%s history: resume did not rewrite it from the checkpoint:\n got %.200s\nwant %.200s", name, got, want)
		}
	}
}

// Temporary files of killed writes of the run's files are removed when a
// trainer starts; other files stay.
func TestStaleTempsRemoved(t *testing.T) {
	task := smallTask(t)
	dir := t.TempDir()
	stale := []string{".checkpoint.aeir.tmp123", ".best.aeir.tmp9", ".history.json.tmp77", ".options.json.tmp1"}
	keep := []string{".other.json.tmp5", "checkpoint.aeir.bak"}
	for _, f := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(task, smallOptions(), dir, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("stale %s is still there", f)
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s, not the run's, was removed: %v", f, err)
		}
	}
}

// A cancelled run stops before the next step, keeps the last whole
// epoch's checkpoint, and resumes to the bytes of an uninterrupted run.
func TestRunContextCancel(t *testing.T) {
	task := smallTask(t)
	opt := smallOptions()
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	runSmall(t, task, opt, a, 0, false)
	tr, err := New(task, opt, b, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	spe := tr.StepsPerEpoch()
	tr.beforeStep = func(step int) {
		if step == spe+1 { // the second step of the second epoch
			cancel()
		}
	}
	err = tr.RunContext(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "epoch 1") {
		t.Fatalf("got %v, want context.Canceled naming the checkpoint of epoch 1", err)
	}
	if n := len(tr.History()); n != 1 {
		t.Fatalf("history after the cancel: %d epochs, want 1", n)
	}
	runSmall(t, task, opt, b, 0, true)
	x, err1 := os.ReadFile(filepath.Join(a, BestFile))
	y, err2 := os.ReadFile(filepath.Join(b, BestFile))
	if err1 != nil || err2 != nil || !bytes.Equal(x, y) {
		t.Fatalf("the resumed run differs from the uninterrupted one (%v, %v)", err1, err2)
	}
}
