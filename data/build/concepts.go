package build

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"aeir/data/vendormoji"
)

// Languages of the CLDR text styles beyond English.
var Languages = []string{"de", "es", "fr", "ja", "zh"}

type dsEmoji struct {
	Name       string   `json:"name"`
	Unified    string   `json:"unified"`
	Image      string   `json:"image"`
	ShortNames []string `json:"short_names"`
	Category   string   `json:"category"`
	Subcat     string   `json:"subcategory"`
	SortOrder  int      `json:"sort_order"`
	HasTwitter bool     `json:"has_img_twitter"`
	HasGoogle  bool     `json:"has_img_google"`
}

type omEmoji struct {
	Hexcode      string `json:"hexcode"`
	OpenmojiTags string `json:"openmoji_tags"`
	Skintone     any    `json:"skintone"`
}

type cldrFile struct {
	Annotations struct {
		Annotations map[string]struct {
			Default []string `json:"default"`
			TTS     []string `json:"tts"`
		} `json:"annotations"`
	} `json:"annotations"`
	Derived struct {
		Annotations map[string]struct {
			Default []string `json:"default"`
			TTS     []string `json:"tts"`
		} `json:"annotations"`
	} `json:"annotationsDerived"`
}

// key normalises a code-point sequence for lookups: upper-case hex joined
// by '-', without U+FE0F (variation selector 16), which the sources use
// inconsistently.
func key(hex string) string {
	var parts []string
	for _, p := range strings.Split(strings.ToUpper(hex), "-") {
		if p != "FE0F" && p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "-")
}

func keyOfString(s string) string {
	var parts []string
	for _, r := range s {
		parts = append(parts, fmt.Sprintf("%04X", r))
	}
	return key(strings.Join(parts, "-"))
}

func emojiOf(unified string) string {
	var b strings.Builder
	for _, p := range strings.Split(unified, "-") {
		var r rune
		fmt.Sscanf(p, "%X", &r)
		b.WriteRune(r)
	}
	return b.String()
}

type annot struct {
	name     string
	keywords []string
}

// cldr reads one language's annotations (base and derived) keyed by key().
func cldr(full, derived map[string][]byte, lang string) (map[string]annot, error) {
	out := map[string]annot{}
	for _, src := range []struct {
		files map[string][]byte
		path  string
	}{
		{derived, "package/annotationsDerived/" + lang + "/annotations.json"},
		{full, "package/annotations/" + lang + "/annotations.json"}, // base wins
	} {
		var f cldrFile
		if err := readJSON(src.files, src.path, &f); err != nil {
			return nil, err
		}
		m := f.Annotations.Annotations
		if m == nil {
			m = f.Derived.Annotations
		}
		for k, v := range m {
			if len(v.TTS) == 0 {
				continue
			}
			out[keyOfString(k)] = annot{v.TTS[0], v.Default}
		}
	}
	return out, nil
}

// sentence makes the CLDR text of a concept: its name, then the keywords
// that the name does not already contain, e.g. "dog face: animal, pet,
// puppy".
func sentence(a annot) string {
	var kw []string
	low := strings.ToLower(a.name)
	for _, k := range a.keywords {
		if k != "|" && !strings.Contains(low, strings.ToLower(k)) {
			kw = append(kw, k)
		}
	}
	if len(kw) == 0 {
		return a.name
	}
	return a.name + ": " + strings.Join(kw, ", ")
}

func phrase(s string) string {
	s = strings.NewReplacer("_", " ", "-", " ").Replace(strings.TrimSpace(s))
	return strings.Join(strings.Fields(s), " ")
}

// tagText joins tag phrases from sources independent of CLDR, in a fixed
// order, without repeats.
func tagText(groups ...[]string) string {
	seen := map[string]bool{}
	var out []string
	for _, g := range groups {
		for _, t := range g {
			t = phrase(strings.ToLower(t))
			if t == "" || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
		}
	}
	return strings.Join(out, ", ")
}

func shortcodes(raw map[string]any, k string) []string {
	switch v := raw[k].(type) {
	case string:
		return []string{v}
	case []any:
		var s []string
		for _, x := range v {
			if t, ok := x.(string); ok {
				s = append(s, t)
			}
		}
		return s
	}
	return nil
}

// concepts assembles the concept list and the per-vendor image locations.
type located struct {
	concept  vendormoji.Concept
	twitter  string // tar path of the 64-px PNG
	google   string
	openmoji string // tar path of the SVG
}

func assemble(meta, full, derived, emojibase, openmoji map[string][]byte) ([]located, error) {
	var ds []dsEmoji
	if err := readJSON(meta, "package/emoji.json", &ds); err != nil {
		return nil, err
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].SortOrder < ds[j].SortOrder })
	var om []omEmoji
	if err := readJSON(openmoji, "package/data/openmoji.json", &om); err != nil {
		return nil, err
	}
	omByKey := map[string]omEmoji{}
	for _, o := range om {
		if o.Skintone == nil || o.Skintone == "" {
			omByKey[key(o.Hexcode)] = o
		}
	}
	ebRaw := map[string]any{}
	if err := readJSON(emojibase, "package/en/shortcodes/emojibase.json", &ebRaw); err != nil {
		return nil, err
	}
	eb := map[string][]string{}
	for k := range ebRaw {
		eb[key(k)] = shortcodes(ebRaw, k)
	}
	langs := map[string]map[string]annot{}
	for _, l := range append([]string{"en"}, Languages...) {
		a, err := cldr(full, derived, l)
		if err != nil {
			return nil, err
		}
		langs[l] = a
	}
	var out []located
	for _, e := range ds {
		if e.Category == "Component" { // skin-tone and hair swatches, not concepts
			continue
		}
		k := key(e.Unified)
		o, ok := omByKey[k]
		if !ok {
			return nil, fmt.Errorf("emoji %s (%s): no OpenMoji image", e.Unified, e.Name)
		}
		if !e.HasTwitter || !e.HasGoogle {
			return nil, fmt.Errorf("emoji %s (%s): missing Twemoji or Noto image", e.Unified, e.Name)
		}
		en, ok := langs["en"][k]
		if !ok {
			return nil, fmt.Errorf("emoji %s (%s): no CLDR English annotation", e.Unified, e.Name)
		}
		c := vendormoji.Concept{
			ID: len(out), Unified: e.Unified, Emoji: emojiOf(e.Unified), Name: en.name,
			Category: e.Category, Subgroup: e.Subcat,
			Texts: map[string]string{"en": sentence(en)},
		}
		var omTags []string
		if o.OpenmojiTags != "" {
			omTags = strings.Split(o.OpenmojiTags, ",")
		}
		c.Texts["tags"] = tagText(e.ShortNames, eb[k], omTags, []string{e.Subcat})
		for _, l := range Languages {
			a, ok := langs[l][k]
			if !ok {
				return nil, fmt.Errorf("emoji %s (%s): no CLDR %s annotation", e.Unified, e.Name, l)
			}
			c.Texts[l] = sentence(a)
		}
		for s, t := range c.Texts {
			if t == "" || !utf8.ValidString(t) {
				return nil, fmt.Errorf("emoji %s (%s): empty or invalid %s text", e.Unified, e.Name, s)
			}
		}
		out = append(out, located{
			concept:  c,
			twitter:  filepath.ToSlash(filepath.Join("package/img/twitter/64", e.Image)),
			google:   filepath.ToSlash(filepath.Join("package/img/google/64", e.Image)),
			openmoji: "package/color/svg/" + o.Hexcode + ".svg",
		})
	}
	return out, nil
}
