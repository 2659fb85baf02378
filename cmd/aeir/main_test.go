package main

import (
	"strings"
	"testing"
)

// The command table lists every command once, each with help and a
// function; nested commands list their subcommands when given none.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commands {
		if seen[c.name] || c.summary == "" || c.run == nil {
			t.Errorf("command %q: duplicate, or no summary or function", c.name)
		}
		seen[c.name] = true
	}
	for _, name := range []string{"data", "train", "eval", "bench", "plot", "export", "onnx", "serve", "version"} {
		if !seen[name] {
			t.Errorf("no command %s", name)
		}
	}
	for name, want := range map[string][]string{
		"export": {"aeir export web", "aeir export site", "aeir export --format onnx"},
		"data":   {"aeir data build", "aeir data export"},
		"plot":   {"aeir plot tsne", "aeir plot results"},
		"onnx":   {"aeir onnx check"},
	} {
		c, _ := find(commands, name)
		err := c.run(nil)
		if err == nil {
			t.Errorf("aeir %s with no subcommand: no error", name)
			continue
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("aeir %s with no subcommand: %q lacks %q", name, err, w)
			}
		}
	}
	c, _ := find(commands, "plot")
	if err := c.run([]string{"nope"}); err == nil || !strings.Contains(err.Error(), `unknown subcommand "nope" of aeir plot`) {
		t.Errorf("unknown subcommand: %v", err)
	}
}
