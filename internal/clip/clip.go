// Package clip shortens user input that an error message echoes, so that
// a 10 MB path or a 100,000-digit number gives a one-line error, not a
// 10 MB one. Every package that quotes input in an error uses it.
package clip

import (
	"fmt"
	"unicode/utf8"
)

// Short is how many bytes of an input Quote keeps.
const Short = 60

// String returns s when it has at most n bytes, and otherwise its first n
// bytes (cut back to a rune boundary) followed by "… (N bytes)".
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// Quote returns s quoted as Go source (%q), cut to its first Short bytes
// when it is longer.
func Quote(s string) string {
	if len(s) <= Short {
		return fmt.Sprintf("%q", s)
	}
	cut := Short
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
