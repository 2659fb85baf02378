package text

import (
	"slices"
	"testing"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	cases := map[string][]string{
		"Dog face: animal, PET": {"dog", "face", "animal", "pet"},
		"tête de chien":         {"tête", "de", "chien"},
		"ｆｕｌｌwidth ＤＯＧ":         {"fullwidth", "dog"},
		"イヌの顔: ペット, 動物":         {"イヌの顔", "ペット", "動物"},
		"keycap: #":             {"keycap"},
		"   ":                   nil,
		"❤️🐶":                   nil,
	}
	for in, want := range cases {
		if got := Words(in); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIDs(t *testing.T) {
	tk := Default()
	a := tk.IDs("red heart", nil)
	// 2 words; "red" → <red> has 5 runes: 3 trigrams + 2 four-grams; "heart" → 7 runes: 5 + 4
	if len(a) != 2+5+9 {
		t.Fatalf("len(IDs(red heart)) = %d, want 16", len(a))
	}
	for _, id := range a {
		if id < 0 || int(id) >= tk.Buckets {
			t.Fatalf("id %d outside [0, %d)", id, tk.Buckets)
		}
	}
	if b := tk.IDs("RED  heart!", nil); !slices.Equal(a, b) {
		t.Errorf("case and punctuation changed ids")
	}
	if c := tk.IDs("red hearts", nil); slices.Equal(a, c) {
		t.Errorf("different words gave identical ids")
	}
	// shared n-grams: "puppy" and "puppies" share <pu, pup, upp, ...
	p1, p2 := tk.IDs("puppy", nil), tk.IDs("puppies", nil)
	shared := 0
	for _, x := range p1 {
		if slices.Contains(p2, x) {
			shared++
		}
	}
	if shared < 3 {
		t.Errorf("puppy/puppies share %d ids, want ≥ 3", shared)
	}
	// Japanese: a character inside a longer run matches the single word.
	j1, j2 := tk.IDs("子犬", nil), tk.IDs("犬", nil)
	if !slices.Contains(j1, j2[len(j2)-1]) {
		t.Errorf("'犬' id not among the ids of '子犬'")
	}
	if len(tk.IDs("", nil)) != 0 || len(tk.IDs("🐶", nil)) != 0 {
		t.Errorf("empty or emoji-only text gave ids")
	}
}

func TestValidate(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Tokenizer{{}, {Buckets: 1 << 14, MinN: 3, MaxN: 2}, {Buckets: 8, MinN: 1, MaxN: 2}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func FuzzIDs(f *testing.F) {
	for _, s := range []string{"red heart", "イヌの顔", "tête", "\xff\xfe", "a"} {
		f.Add(s)
	}
	tk := Default()
	f.Fuzz(func(t *testing.T, s string) {
		for _, id := range tk.IDs(s, nil) {
			if id < 0 || int(id) >= tk.Buckets {
				t.Fatalf("id %d out of range", id)
			}
		}
		for _, w := range Words(s) {
			if w == "" || !utf8.ValidString(w) {
				t.Fatalf("bad word %q", w)
			}
		}
	})
}

func BenchmarkIDs(b *testing.B) {
	tk := Default()
	var dst []int32
	for i := 0; i < b.N; i++ {
		dst = tk.IDs("grinning face with big eyes: awesome, big, eyes, mouth, open, yay", dst[:0])
	}
}
