package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestWriteVersion(t *testing.T) {
	var b strings.Builder
	writeVersion(&b, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-02T20:00:00Z"}, {Key: "vcs.modified", Value: "true"}}})
	for _, want := range []string{"aeir (devel)", "commit abc123 (2026-12-02T20:00:00Z, with uncommitted changes)", "go1."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	writeVersion(&b, &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}})
	if !strings.Contains(b.String(), "aeir v1.2.3") || !strings.Contains(b.String(), "commit unknown") {
		t.Errorf("without VCS settings:\n%s", b.String())
	}
}
