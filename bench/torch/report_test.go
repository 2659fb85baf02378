package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummarizePairsRepeats(t *testing.T) {
	lines := `{"rep":1,"impl":"go","variant":"asm","method":"aeir","steps":4,"timed_steps":3,"batch":128,"samples_per_s":200,"peak_rss_mb":100,"threads":2,"con":[10,9,8,7]}
{"rep":1,"impl":"pytorch","variant":"torch 1.13","method":"aeir","steps":4,"timed_steps":3,"batch":128,"samples_per_s":100,"peak_rss_mb":300,"threads":2,"con":[10,9.5,8,7]}
{"rep":2,"impl":"go","variant":"asm","method":"aeir","steps":4,"timed_steps":3,"batch":128,"samples_per_s":300,"peak_rss_mb":110,"threads":2,"con":[10,9,8,7]}
{"rep":2,"impl":"pytorch","variant":"torch 1.13","method":"aeir","steps":4,"timed_steps":3,"batch":128,"samples_per_s":100,"peak_rss_mb":300,"threads":2,"con":[10,9,8,7]}
`
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := summarize(path, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"aeir step, default build: ours ÷ PyTorch = 2.50 (min 2.00, max 3.00 over 2 paired repeats",
		"200 / 250 / 300", // Go pairs/s over the repeats
		"largest step-wise difference 5.3 %",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	diverging := strings.Replace(lines, `"con":[10,9.5,8,7]`, `"con":[10,9.5,8,9]`, 1)
	if err := os.WriteFile(path, []byte(diverging), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := summarize(path, &out); err == nil || !strings.Contains(err.Error(), "loss curves of aeir differ") {
		t.Errorf("curves 7 against 9 at the last step: error %v", err)
	}
	if err := os.WriteFile(path, []byte("{\"rep\":1,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := summarize(path, &out); err == nil || !strings.Contains(err.Error(), "r.jsonl:1") {
		t.Errorf("a broken line: error %v, want one naming the file and line", err)
	}
}
