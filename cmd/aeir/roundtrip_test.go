package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aeir/data/vendormoji"
	"aeir/run"
	"aeir/train"
)

// TestExportRoundTrip is the end-to-end test of a user's own data: each
// file format aeir data export writes, trained on with aeir train, gives
// the same best.aeir (SHA-256) and the same history (minus timings) as
// training on the embedded set — so the file path reads, splits, hides
// and trains exactly the data the embedded path does. Precomp holds
// features, so its reference trains with -image-backbone pixels.
func TestExportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	common := []string{"-method", "aeir", "-epochs", "1", "-channels", "8,16", "-str-warmup", "0", "-q"}
	trainRun := func(name string, extra ...string) string {
		t.Helper()
		out := filepath.Join(dir, name)
		if err := trainCmd(append(append(append([]string{}, common...), extra...), "-out", out)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return out
	}
	ref := map[bool]string{
		false: trainRun("embedded"),
		true:  trainRun("embedded-pixels", "-image-backbone", "pixels"),
	}
	for _, format := range []string{"csv", "karpathy", "precomp"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(dir, "data-"+format)
			src, tgt, err := exportFor(format, out)
			if err != nil {
				t.Fatal(err)
			}
			got := trainRun("from-"+format, "-source", src, "-target", tgt)
			want := ref[format == "precomp"]
			if a, b := fileHash(t, filepath.Join(want, train.BestFile)), fileHash(t, filepath.Join(got, train.BestFile)); a != b {
				t.Errorf("best.aeir from %s: SHA-256 %x, embedded %x", format, b, a)
			}
			if strings.Contains(string(readFile(t, filepath.Join(got, train.HistoryFile))), "nbr_img_acc") {
				t.Errorf("a run on %s files reports neighbour accuracies, which need shared concept ids", format)
			}
			if a, b := history(t, want), history(t, got); a != b {
				t.Errorf("history from %s differs from the embedded run's:\n%s\n%s", format, b, a)
			}
			r, err := run.Open(got)
			if err != nil {
				t.Fatal(err)
			}
			if r.Options.Data.SourceSHA256 == "" || r.Options.Data.TargetSHA256 == "" || r.Options.Data.Protocol != run.FileProtocol {
				t.Errorf("options.json data %+v: want content hashes and protocol file", r.Options.Data)
			}
			rows, err := r.Evaluate(run.EvalOptions{Split: "test", Gallery: "split", ViewStyle: -1})
			if err != nil {
				t.Fatal(err)
			}
			re, _ := run.Open(want)
			rowsRef, err := re.Evaluate(run.EvalOptions{Split: "test", Gallery: "split", ViewStyle: -1})
			if err != nil {
				t.Fatal(err)
			}
			if rows[0].Metrics != rowsRef[0].Metrics {
				t.Errorf("test metrics from %s %+v, embedded %+v", format, rows[0].Metrics, rowsRef[0].Metrics)
			}
		})
	}
	// A run whose data changed is refused with the path it expected.
	t.Run("changed", func(t *testing.T) {
		out := filepath.Join(dir, "data-changed")
		src, tgt, err := exportFor("csv", out)
		if err != nil {
			t.Fatal(err)
		}
		got := trainRun("from-changed", "-source", src, "-target", tgt, "-method", "source-only")
		table := strings.Split(src, "#")[0]
		b, err := os.ReadFile(table)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("grinning face"), []byte("grinning faces"), 1)
		if err := os.WriteFile(table, b, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := run.Open(got)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Evaluate(run.EvalOptions{Split: "test", Gallery: "split", ViewStyle: -1})
		if err == nil || !strings.Contains(err.Error(), "changed since the run was trained") || !strings.Contains(err.Error(), table) {
			t.Errorf("changed data: %v; want a refusal naming %s", err, table)
		}
		// A new run from the old run's options (-config) reads the data
		// afresh: it trains, and records the new content's hash.
		again := filepath.Join(dir, "from-changed-again")
		if err := trainCmd([]string{"-config", filepath.Join(got, train.OptionsFile), "-out", again, "-q"}); err != nil {
			t.Fatalf("-config of a run whose data changed: %v", err)
		}
		r2, err := run.Open(again)
		if err != nil {
			t.Fatal(err)
		}
		if r2.Options.Data.SourceSHA256 == r.Options.Data.SourceSHA256 {
			t.Error("the new run kept the old data's hash")
		}
	})
}

// exportFor writes the default scenario in a format and returns its
// source and target specs.
func exportFor(format, out string) (string, string, error) {
	ds, err := vendormoji.Load()
	if err != nil {
		return "", "", err
	}
	return ds.Export(vendormoji.ExportOptions{Format: format, Scenario: vendormoji.Default, Protocol: vendormoji.Shared, Out: out})
}

func fileHash(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// history returns a run's history.json without its timings and without
// the neighbour accuracies, which read hidden labels through VendorMoji's
// concept ids (Task.ConceptIDs): a file names its images by paths or rows,
// so runs on files do not report them.
func history(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, train.HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	var h []map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	for _, e := range h {
		delete(e, "seconds")
		delete(e, "samples_per_s")
		if d, ok := e["diag"].(map[string]any); ok {
			delete(d, "nbr_img_acc")
			delete(d, "nbr_txt_acc")
		}
	}
	out, _ := json.Marshal(h)
	return string(out)
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
