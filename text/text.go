// Package text turns sentences in any of the data set's languages into
// hashed token ids for the sentence encoder's embedding bag. One
// implementation serves training, the notebooks and the browser.
//
// A sentence is normalised (Unicode NFKC, lower case) and split into words
// at every rune that is not a letter, mark or digit. Each word yields its
// own id and the ids of its character n-grams (MinN…MaxN runes, with '<'
// and '>' marking the word's ends, as in fastText), so morphology and
// unseen words share features. Scripts written without spaces (Han,
// Hiragana, Katakana, Hangul) also yield each character as a unigram,
// which lets Japanese and Chinese words match inside longer runs. Ids are
// FNV-1a hashes modulo Buckets, so there is no vocabulary to ship.
package text

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Tokenizer holds the hashing settings. The zero value is not usable; use
// Default or fill every field.
type Tokenizer struct {
	Buckets int `json:"buckets"` // size of the id space
	MinN    int `json:"min_n"`   // shortest character n-gram (runes, with word-boundary marks)
	MaxN    int `json:"max_n"`   // longest character n-gram
}

// Default is the tokeniser the project's models use.
func Default() Tokenizer { return Tokenizer{Buckets: 1 << 13, MinN: 3, MaxN: 4} }

// Validate reports unusable settings.
func (t Tokenizer) Validate() error {
	if t.Buckets < 16 || t.Buckets > 1<<24 {
		return fmt.Errorf("tokenizer: buckets %d out of range [16, 2^24]", t.Buckets)
	}
	if t.MinN < 1 || t.MaxN < t.MinN || t.MaxN > 8 {
		return fmt.Errorf("tokenizer: n-gram range [%d, %d] invalid (want 1 ≤ min ≤ max ≤ 8)", t.MinN, t.MaxN)
	}
	return nil
}

// Words returns the normalised words of s.
func Words(s string) []string {
	s = strings.ToLower(norm.NFKC.String(s))
	ws := strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	out := ws[:0]
	for _, w := range ws {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			out = append(out, w) // drop runs of bare marks, such as U+FE0F after an emoji
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

const (
	offset32 = 2166136261
	prime32  = 16777619
)

func hashRunes(kind byte, rs []rune) uint32 {
	h := uint32(offset32)
	h = (h ^ uint32(kind)) * prime32
	for _, r := range rs {
		for r != 0 || h == 0 { // bytes of the rune, little end first
			h = (h ^ uint32(r&0xff)) * prime32
			r >>= 8
			if r == 0 {
				break
			}
		}
		h = (h ^ 0xff) * prime32 // rune separator
	}
	return h
}

// IDs appends the ids of s to dst and returns it. Duplicates are kept, so
// a repeated word weighs more in the mean of the embedding bag.
func (t Tokenizer) IDs(s string, dst []int32) []int32 {
	b := uint32(t.Buckets)
	var buf []rune
	for _, w := range Words(s) {
		rs := []rune(w)
		dst = append(dst, int32(hashRunes('w', rs)%b))
		buf = append(buf[:0], '<')
		buf = append(buf, rs...)
		buf = append(buf, '>')
		for n := t.MinN; n <= t.MaxN; n++ {
			if n >= len(buf) { // the whole marked word is the word id already
				break
			}
			for i := 0; i+n <= len(buf); i++ {
				dst = append(dst, int32(hashRunes('n', buf[i:i+n])%b))
			}
		}
		for _, r := range rs {
			if unspaced(r) {
				dst = append(dst, int32(hashRunes('c', []rune{r})%b))
			}
		}
	}
	return dst
}
