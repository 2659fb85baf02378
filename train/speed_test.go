package train

import (
	"testing"

	"aeir/model"
	"aeir/nn"
)

// TestSpeedInputIsWhatStepReads recomputes L_con and L_str from the
// exported inputs of a step (what bench/torch feeds PyTorch) and checks
// that they equal the losses the trainer's own step reports.
func TestSpeedInputIsWhatStepReads(t *testing.T) {
	opt := smallOptions()
	opt.Method = "aeir"
	opt.TargetBatch = 16
	sp, err := NewSpeed(smallTask(t), opt, 5)
	if err != nil {
		t.Fatal(err)
	}
	ref := sp.Reference()
	if !ref.Adv || !ref.Str || ref.Target != 16 || ref.Batch != 32 || len(ref.SrcTxt) == 0 {
		t.Fatalf("reference constants %+v", ref)
	}
	m := sp.T.Model
	d, s := opt.Model.Dim, opt.Model.ImageSize
	for i := range 3 {
		in := sp.Input(i)
		b, tb := ref.Batch, ref.Target
		if len(in.Pixels) != (b+tb)*3*s*s || len(in.Offsets) != b+tb || len(in.Groups) != b || len(in.ImgPos) != tb || len(in.TxtPos) != tb {
			t.Fatalf("step %d: input sizes pixels %d offsets %d groups %d pos %d/%d", i, len(in.Pixels), len(in.Offsets), len(in.Groups), len(in.ImgPos), len(in.TxtPos))
		}
		x := nn.FromData(in.Pixels, b+tb, 3, s, s)
		u := m.Img.Forward(x, true).Data
		u = append([]float32(nil), u...)
		v := m.Txt.Forward(m.Bag.ForwardBag(in.IDs, in.Offsets), true).Data
		con := model.Contrastive{Margin: ref.Margin}
		du, dv := make([]float32, b*d), make([]float32, b*d)
		want := con.Loss(u[:b*d], v[:b*d], b, d, in.Groups, du, dv)
		dz := make([]float32, tb*d)
		wantStr, _ := model.Structural{Margin: ref.StrM}.Loss(u[b*d:], tb, d, in.ImgPos, ref.SrcTxt, ref.TextImage, in.Texts, 1, dz)
		parts, err := sp.Step(i)
		if err != nil {
			t.Fatal(err)
		}
		if float32(parts["con"]) != want || float32(parts["str_img"]) != wantStr {
			t.Fatalf("step %d: from the exported input L_con %v, L_str(img) %v; the step reports %v, %v", i, want, wantStr, parts["con"], parts["str_img"])
		}
		if i == 0 && want == 0 {
			t.Fatal("L_con is 0: the check would be empty")
		}
	}
}
