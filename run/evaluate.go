package run

import (
	"fmt"

	"aeir/data"
	"aeir/data/vendormoji"
	"aeir/eval"
	"aeir/internal/clip"
	"aeir/model"
	"aeir/train"
)

// EvalOptions choose what Evaluate measures.
type EvalOptions struct {
	Split     string  // "test" or "val"
	Gallery   string  // "split": the split's own images and sentences; "whole": every target image and sentence (as the demo page ranks)
	CSLS      int     // > 0: also rank with the hubness correction (CSLS with this many neighbours)
	Views     int     // > 0: embed gallery images as the mean of this many augmented views (1: one view; 0: the model file's setting)
	ViewStyle float64 // line-art probability of the views (< 0: the run's style augmentation)
	File      string  // model file in the run directory ("": best.aeir)
}

// Base is the file name (without extension) Evaluate's rows are saved
// under in the run directory, e.g. eval_test_csls1_views16.
func (o EvalOptions) Base() string {
	b := "eval_" + o.Split
	if o.Gallery == "whole" {
		b += "_whole"
	}
	if o.CSLS > 0 {
		b += fmt.Sprintf("_csls%d", o.CSLS)
	}
	if o.Views > 0 {
		b += fmt.Sprintf("_views%d", o.Views)
		if o.ViewStyle >= 0 {
			b += fmt.Sprintf("_style%g", o.ViewStyle)
		}
	}
	return b
}

func (o EvalOptions) check() error {
	switch {
	case o.Split != "test" && o.Split != "val":
		return fmt.Errorf("split %s: want test or val", clip.Quote(o.Split))
	case o.Gallery != "split" && o.Gallery != "whole":
		return fmt.Errorf("gallery %s: want split or whole", clip.Quote(o.Gallery))
	case o.CSLS < 0:
		return fmt.Errorf("csls %d: want 0 (off) or a neighbour count", o.CSLS)
	case o.Views < 0 || o.Views > 64:
		return fmt.Errorf("views %d: want 0 (the model file's setting), 1 (one view) … 64", o.Views)
	case o.ViewStyle >= 0 && o.Views <= 1:
		return fmt.Errorf("view style %v needs 2 or more views", o.ViewStyle)
	}
	return nil
}

// Evaluate scores the run's model on its target split (VSE++'s i2t/t2i
// recalls, ranks and mAP) and, for the test split, on the source domain's
// test items (in-domain), with chance beside them; or, with Gallery
// "whole", the split's items as queries against the whole target domain.
// A target without aligned evaluation data is an error that says so.
func (r *Run) Evaluate(o EvalOptions) ([]eval.Row, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	m, err := r.Model(o.File)
	if err != nil {
		return nil, err
	}
	opt := r.Options
	if o.Views > 0 {
		mm, ok := m.(*model.Model)
		if !ok || mm.Config.FeatureDim > 0 {
			return nil, fmt.Errorf("views: a %s model on feature inputs has no image augmentation", opt.Method)
		}
		mm.Config.GalleryViews, mm.Config.ViewStyle = o.Views, opt.StyleAug
		if o.ViewStyle >= 0 {
			mm.Config.ViewStyle = float32(o.ViewStyle)
		}
		if err := mm.Config.Validate(); err != nil {
			return nil, err
		}
	}
	task, err := r.Task()
	if err != nil {
		return nil, err
	}
	tgt := task.Test
	if o.Split == "val" {
		tgt = task.Val
	}
	if tgt == nil {
		why := fmt.Sprintf("its file has no %s split", o.Split)
		if h := opt.Data.Holdout; h != nil {
			why = fmt.Sprintf("it was trained with a holdout of val %v and test %v (options.json data.holdout)", h.Val, h.Test)
		}
		return nil, fmt.Errorf("run %s: the target %s has no aligned %s data, so nothing can be scored: %s; give the target rows split val and test, or train with a holdout that holds some out", r.Dir, opt.Data.Target, o.Split, why)
	}
	if mm, ok := m.(*model.Model); ok && mm.Config.FeatureDim == 0 && tgt.Images.IsPixels() && mm.Config.ImageSize != tgt.Images.W {
		return nil, fmt.Errorf("the model reads %d-px images, the run's data has %d px (options.json data.size)", mm.Config.ImageSize, tgt.Images.W)
	}
	name := fmt.Sprintf("%s, target %s %s", r.Label(), task.Train.TargetDomain, o.Split)
	if o.Gallery == "whole" {
		w, err := Whole(opt.Data, r.Limits)
		if err != nil {
			return nil, err
		}
		return WholeGalleryRows(m, w, tgt, o.CSLS, name)
	}
	mt, err := train.Evaluate(m, tgt)
	if err != nil {
		return nil, err
	}
	rows := []eval.Row{{Name: name + " (cross-domain)", Metrics: mt}}
	if o.CSLS > 0 {
		extra, err := cslsRows(m, tgt, o.CSLS, name)
		if err != nil {
			return nil, err
		}
		rows = append(rows, extra...)
	}
	if o.Split == "test" && task.SourceTest != nil {
		ms, err := train.Evaluate(m, task.SourceTest)
		if err != nil {
			return nil, err
		}
		seen := "held out"
		switch opt.Data.Protocol {
		case vendormoji.Shared:
			seen = "pairs seen in training"
		case FileProtocol:
			seen = "the source's test split"
		}
		rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, source %s test items (in-domain, %s)", r.Label(), task.Train.Source.Domain, seen), Metrics: ms})
	}
	ch, err := eval.Chance(tgt.Images.N, len(tgt.Texts), tgt.TextImage)
	if err != nil {
		return nil, err
	}
	return append(rows, eval.Row{Name: "chance", Metrics: ch}), nil
}

// WholeGalleryRows measures the items of split against every image and
// sentence of the whole target domain — the demo page's gallery and
// corpus — rather than against the split alone: plain and, with k > 0, as
// the page ranks (CSLS over the whole gallery), with whole sentences and,
// where the data has them, short forms.
func WholeGalleryRows(m train.Encoder, whole, split *data.Collection, k int, name string) ([]eval.Row, error) {
	at := make(map[string]int, len(whole.ImageIDs))
	for i, id := range whole.ImageIDs {
		at[id] = i
	}
	n := whole.Images.N
	var imgs, txts []int
	query := make([]bool, n)
	for _, id := range split.ImageIDs {
		i, ok := at[id]
		if !ok {
			i, ok = at[split.Split+":"+id] // an id two splits share (see whole)
		}
		if !ok {
			return nil, fmt.Errorf("%s item %s is not in the whole target domain", split.Split, id)
		}
		imgs = append(imgs, i)
		query[i] = true
	}
	for j, i := range whole.TextImage {
		if query[i] {
			txts = append(txts, j)
		}
	}
	u := train.GalleryEmbeddings(m, whole.Images) // once: the short forms share the images
	var rows []eval.Row
	add := func(c *data.Collection, label string) error {
		sim := eval.Similarity(nil, u, n, m.EncodeTexts(c.Texts), len(c.Texts), m.EmbedDim())
		mt, err := eval.EvaluateQueries(sim, n, len(c.Texts), c.TextImage, imgs, txts)
		if err != nil {
			return err
		}
		g := fmt.Sprintf("%s%s, against the whole gallery (%d images × %d sentences)", name, label, n, len(c.Texts))
		rows = append(rows, eval.Row{Name: g, Metrics: mt})
		if k > 0 {
			mc, err := eval.EvaluateQueries(eval.CSLS(sim, n, len(c.Texts), k), n, len(c.Texts), c.TextImage, imgs, txts)
			if err != nil {
				return err
			}
			rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, hubness-corrected (CSLS, k = %d)", g, k), Metrics: mc})
		}
		return nil
	}
	if err := add(whole, ""); err != nil {
		return nil, err
	}
	if short := whole.ShortForms(); short != nil {
		if err := add(short, ", short names as sentences"); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// cslsRows evaluates c ranked with the hubness correction and, when c has
// short forms, with them as the sentences, plain and corrected.
func cslsRows(m train.Encoder, c *data.Collection, k int, name string) ([]eval.Row, error) {
	var rows []eval.Row
	mc, err := train.EvaluateCSLS(m, c, k)
	if err != nil {
		return nil, err
	}
	rows = append(rows, eval.Row{Name: fmt.Sprintf("%s, hubness-corrected (CSLS, k = %d)", name, k), Metrics: mc})
	short := c.ShortForms()
	if short == nil {
		return rows, nil
	}
	ms, err := train.Evaluate(m, short)
	if err != nil {
		return nil, err
	}
	msc, err := train.EvaluateCSLS(m, short, k)
	if err != nil {
		return nil, err
	}
	return append(rows,
		eval.Row{Name: name + ", short names as sentences", Metrics: ms},
		eval.Row{Name: fmt.Sprintf("%s, short names as sentences, hubness-corrected (CSLS, k = %d)", name, k), Metrics: msc}), nil
}
