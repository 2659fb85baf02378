package build

import (
	"slices"
	"testing"

	"aeir/data/vendormoji"
)

func TestKey(t *testing.T) {
	for in, want := range map[string]string{
		"2764-FE0F":      "2764",
		"0023-fe0f-20e3": "0023-20E3",
		"1F1EA-1F1EC":    "1F1EA-1F1EC",
	} {
		if got := key(in); got != want {
			t.Errorf("key(%q) = %q, want %q", in, got, want)
		}
	}
	if got := keyOfString("❤️"); got != "2764" {
		t.Errorf("keyOfString(❤️) = %q", got)
	}
	if got := emojiOf("1F436"); got != "🐶" {
		t.Errorf("emojiOf = %q", got)
	}
}

func TestSentence(t *testing.T) {
	got := sentence(annot{"dog face", []string{"dog", "face", "pet", "puppy", "|"}})
	if got != "dog face: pet, puppy" {
		t.Errorf("sentence = %q", got)
	}
	if got := sentence(annot{"flag: Egypt", []string{"flag"}}); got != "flag: Egypt" {
		t.Errorf("sentence = %q", got)
	}
	if got := tagText([]string{"dog_face", "Dog-Face"}, []string{"pet"}); got != "dog face, pet" {
		t.Errorf("tagText = %q", got)
	}
}

func TestMakeSplits(t *testing.T) {
	var cs []vendormoji.Concept
	cats := []string{"a", "b", "c"}
	for i := 0; i < 300; i++ {
		cs = append(cs, vendormoji.Concept{ID: i, Category: cats[i%7%3]})
	}
	s1 := MakeSplits(cs, 3, 30, 60)
	s2 := MakeSplits(cs, 3, 30, 60)
	s3 := MakeSplits(cs, 4, 30, 60)
	sh := s1.Protocols[vendormoji.Shared]
	if len(sh.Val) != 30 || len(sh.Test) != 60 || len(sh.TargetTrain) != 210 || len(sh.Source) != 300 {
		t.Fatalf("sizes %d %d %d %d", len(sh.Val), len(sh.Test), len(sh.TargetTrain), len(sh.Source))
	}
	if !slices.Equal(sh.Test, s2.Protocols[vendormoji.Shared].Test) {
		t.Fatal("same seed, different split")
	}
	if slices.Equal(sh.Test, s3.Protocols[vendormoji.Shared].Test) {
		t.Fatal("different seed, same split")
	}
	// stratified: each category's share of test within one of its share overall
	for _, c := range cats {
		n, nt := 0, 0
		for _, x := range cs {
			if x.Category == c {
				n++
				if slices.Contains(sh.Test, x.ID) {
					nt++
				}
			}
		}
		if want := 60 * n / 300; nt < want-1 || nt > want+1 {
			t.Errorf("category %s: %d test of %d, want ≈ %d", c, nt, n, want)
		}
	}
	nv := s1.Protocols[vendormoji.Novel]
	for _, id := range nv.Source {
		if slices.Contains(nv.Test, id) || slices.Contains(nv.Val, id) {
			t.Fatal("novel source contains an evaluation concept")
		}
	}
}
