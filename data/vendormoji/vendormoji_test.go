package vendormoji

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"reflect"
	"slices"
	"strings"
	"testing"

	"aeir/data"
)

func mustLoad(t *testing.T) *Dataset {
	t.Helper()
	ds, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestLoadMatchesManifest(t *testing.T) {
	ds := mustLoad(t)
	if len(ds.Concepts) != 1906 || ds.Manifest.Concepts != 1906 {
		t.Fatalf("%d concepts (manifest %d), want 1906", len(ds.Concepts), ds.Manifest.Concepts)
	}
	for _, v := range Vendors {
		im := ds.Images[v]
		if im == nil || im.N != 1906 || im.W != 32 || im.H != 32 {
			t.Fatalf("%s: %+v", v, im)
		}
		if got := PixelHash(im); got != ds.Manifest.Pixels[v] {
			t.Errorf("%s pixels hash %s, manifest %s", v, got, ds.Manifest.Pixels[v])
		}
	}
	for name, sum := range ds.Manifest.Files {
		b, err := ReadFile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h := sha256hex(b); h != sum {
			t.Errorf("%s: sha256 %s, manifest %s", name, h, sum)
		}
	}
	for _, c := range ds.Concepts {
		for _, s := range Styles {
			if c.Texts[s] == "" {
				t.Fatalf("concept %d %s has no %s text", c.ID, c.Name, s)
			}
		}
		if c.Category == "Component" {
			t.Fatalf("component %s included", c.Unified)
		}
	}
}

func TestSplits(t *testing.T) {
	ds := mustLoad(t)
	sh, nv := ds.Splits.Protocols[Shared], ds.Splits.Protocols[Novel]
	if len(sh.Source) != 1906 || len(sh.Val) != 200 || len(sh.Test) != 400 || len(sh.TargetTrain) != 1306 {
		t.Fatalf("shared sizes %d/%d/%d/%d", len(sh.Source), len(sh.TargetTrain), len(sh.Val), len(sh.Test))
	}
	seen := map[int]string{}
	for name, ids := range map[string][]int{"train": sh.TargetTrain, "val": sh.Val, "test": sh.Test} {
		for _, id := range ids {
			if prev, ok := seen[id]; ok {
				t.Fatalf("concept %d in %s and %s", id, prev, name)
			}
			seen[id] = name
		}
	}
	if len(seen) != 1906 {
		t.Fatalf("target splits cover %d concepts", len(seen))
	}
	// novel: no val or test concept in any training data
	for _, id := range append(slices.Clone(nv.Val), nv.Test...) {
		if slices.Contains(nv.Source, id) || slices.Contains(nv.TargetTrain, id) {
			t.Fatalf("novel protocol: evaluation concept %d in training data", id)
		}
	}
	if !slices.Equal(nv.Test, sh.Test) || !slices.Equal(nv.Val, sh.Val) {
		t.Errorf("protocols should share val/test concepts")
	}
}

// TestTargetAlignmentHidden checks what a learner is handed: the target
// images and sentences come in independent random orders, and the types
// carry nothing but pixels and strings.
func TestTargetAlignmentHidden(t *testing.T) {
	ds := mustLoad(t)
	task, err := ds.Task(Default, Shared, 7)
	if err != nil {
		t.Fatal(err)
	}
	tr := task.Train
	if tr.TargetImages.N != 1306 || len(tr.TargetTexts) != 1306 {
		t.Fatalf("target train %d images, %d texts", tr.TargetImages.N, len(tr.TargetTexts))
	}
	// Recover the hidden concept of each handed image and text (the test may
	// use the evaluation side; a learner may not).
	ids := ds.Splits.Protocols[Shared].TargetTrain
	byPix := map[string]int{}
	for _, id := range ids {
		byPix[string(ds.Images["openmoji"].At(id).Pix)] = id
	}
	byText := map[string]int{}
	for _, id := range ids {
		byText[ds.Concepts[id].Texts["en"]] = id
	}
	same, imgInOrder, txtInOrder := 0, 0, 0
	for i := 0; i < tr.TargetImages.N; i++ {
		ci, ok1 := byPix[string(tr.TargetImages.At(i).Pix)]
		ct, ok2 := byText[tr.TargetTexts[i]]
		if !ok1 || !ok2 {
			t.Fatalf("handed item %d not from the target train split", i)
		}
		if ci == ct {
			same++
		}
		if ci == ids[i] {
			imgInOrder++
		}
		if ct == ids[i] {
			txtInOrder++
		}
	}
	// Under independent shuffles about one position in each matches by chance.
	if same > 10 || imgInOrder > 10 || txtInOrder > 10 {
		t.Fatalf("order leaks alignment: %d same-concept positions, %d/%d in concept order", same, imgInOrder, txtInOrder)
	}
	// The learner-facing types hold only pixels/features and strings.
	// TargetDomain is the target's name only (one string for the whole set).
	want := []string{"Source", "TargetImages", "TargetTexts", "TargetDomain"}
	var got []string
	rt := reflect.TypeOf(data.TrainSet{})
	for i := 0; i < rt.NumField(); i++ {
		got = append(got, rt.Field(i).Name)
	}
	if task.Train.TargetDomain != Default.Target.String() {
		t.Fatalf("TargetDomain %q", task.Train.TargetDomain)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("TrainSet fields %v, want %v: review that no target alignment is exposed", got, want)
	}
	// Different seeds give different orders; the same seed the same one.
	t2, _ := ds.Task(Default, Shared, 7)
	t3, _ := ds.Task(Default, Shared, 8)
	if !slices.Equal(t2.Train.TargetTexts, tr.TargetTexts) || slices.Equal(t3.Train.TargetTexts, tr.TargetTexts) {
		t.Fatalf("shuffle is not seeded")
	}
}

func TestParseDomain(t *testing.T) {
	if d, err := ParseDomain("noto/ja"); err != nil || d != (Domain{"noto", "ja"}) {
		t.Fatalf("ParseDomain(noto/ja) = %v, %v", d, err)
	}
	for _, bad := range []string{"", "noto", "apple/en", "noto/xx"} {
		if _, err := ParseDomain(bad); err == nil {
			t.Errorf("ParseDomain(%q) accepted", bad)
		}
	}
}

func TestSheetRoundTrip(t *testing.T) {
	ds := mustLoad(t)
	im := ds.Images["noto"].Subset([]int{0, 5, 99})
	var buf bytes.Buffer
	if err := png.Encode(&buf, EncodeSheet(im, 2)); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSheet(buf.Bytes(), 3, 32, 2)
	if err != nil {
		t.Fatal(err)
	}
	if PixelHash(back) != PixelHash(im) {
		t.Fatal("sheet round trip changed pixels")
	}
	if _, err := DecodeSheet(buf.Bytes(), 5, 32, 2); err == nil {
		t.Fatal("wrong tile count accepted")
	}
	if _, err := DecodeSheet([]byte("not a png"), 3, 32, 2); err == nil {
		t.Fatal("garbage accepted")
	}
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestShortForms: English collections carry each concept's CLDR name as
// the short form of its sentence (which starts with it); other styles
// have none.
func TestShortForms(t *testing.T) {
	ds, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ids := []int{0, 559, 1900}
	c := ds.Collection(Domain{"twemoji", "en"}, ids, "train")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for j, s := range c.Short {
		if s != ds.Concepts[ids[j]].Name || !strings.HasPrefix(c.Texts[j], s) {
			t.Errorf("short form %q of %q", s, c.Texts[j])
		}
	}
	if c.Short[1] != "dog face" {
		t.Errorf("concept 559: %q", c.Short[1])
	}
	if de := ds.Collection(Domain{"twemoji", "de"}, ids, "train"); de.Short != nil {
		t.Errorf("German collection has short forms %v", de.Short)
	}
}
