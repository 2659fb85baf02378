package clip

import (
	"strings"
	"testing"
)

func TestClip(t *testing.T) {
	for _, c := range []struct{ in, str, quote string }{
		{"abc", "abc", `"abc"`},
		{strings.Repeat("a", 70), strings.Repeat("a", 10) + "… (70 bytes)", `"` + strings.Repeat("a", 60) + `"… (70 bytes)`},
		// a cut inside a rune goes back to its start
		{"aaaaaaaaa€", "aaaaaaaaa… (12 bytes)", `"aaaaaaaaa€"`},
	} {
		if got := String(c.in, 10); got != c.str {
			t.Errorf("String(%q, 10) = %q, want %q", c.in, got, c.str)
		}
		if got := Quote(c.in); got != c.quote {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.quote)
		}
	}
	if got := Quote(strings.Repeat("9", 100000)); len(got) > 100 {
		t.Errorf("Quote of 100,000 digits is %d bytes", len(got))
	}
}
