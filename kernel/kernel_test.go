package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"aeir/model"
	"aeir/train"
)

// TestProtocol drives one kernel process through the requests a notebook
// front end makes, in order; each step checks the replies and IOPub
// messages the protocol prescribes.
func TestProtocol(t *testing.T) {
	c := startKernel(t)

	t.Run("kernel_info", func(t *testing.T) {
		r := c.request(c.shell, c.shellIn, "kernel_info_request", map[string]interface{}{})
		if r["protocol_version"] != "5.3" || r["status"] != "ok" {
			t.Errorf("kernel_info_reply = %v", r)
		}
		li, _ := r["language_info"].(map[string]interface{})
		if li["name"] != "go" || li["file_extension"] != ".go" {
			t.Errorf("language_info = %v", li)
		}
	})

	t.Run("heartbeat", func(t *testing.T) {
		if err := c.hb.Send(zmq4.NewMsgString("ping")); err != nil {
			t.Fatal(err)
		}
		done := make(chan string, 1)
		go func() {
			m, err := c.hb.Recv()
			if err != nil {
				done <- err.Error()
				return
			}
			done <- string(m.Bytes())
		}()
		select {
		case got := <-done:
			if got != "ping" {
				t.Errorf("heartbeat echoed %q", got)
			}
		case <-time.After(wait):
			t.Fatal("no heartbeat echo")
		}
	})

	var lastCount float64
	t.Run("execute result and stream", func(t *testing.T) {
		r, out := c.execute(`import "fmt"
fmt.Println("hello from Go")
x := 20
x*2 + 2`)
		if r["status"] != "ok" {
			t.Fatalf("reply = %v", r)
		}
		if got := out.stdout(); got != "hello from Go\n" {
			t.Errorf("stdout = %q", got)
		}
		res := out.of("execute_result")
		if len(res) != 1 {
			t.Fatalf("execute_result messages: %d", len(res))
		}
		data := res[0]["data"].(map[string]interface{})
		if data["text/plain"] != "42" {
			t.Errorf("result = %v", data)
		}
		if res[0]["execution_count"] != r["execution_count"] {
			t.Errorf("execute_result count %v, reply count %v", res[0]["execution_count"], r["execution_count"])
		}
		if in := out.of("execute_input"); len(in) != 1 || in[0]["execution_count"] != r["execution_count"] {
			t.Errorf("execute_input = %v", in)
		}
		if s := out.of("status"); len(s) != 2 || s[0]["execution_state"] != "busy" || s[1]["execution_state"] != "idle" {
			t.Errorf("status = %v", s)
		}
		lastCount = r["execution_count"].(float64)
	})

	t.Run("cell ending in fmt.Println shows no result", func(t *testing.T) {
		r, out := c.execute(`fmt.Println("only this")`)
		if r["status"] != "ok" || out.stdout() != "only this\n" || len(out.of("execute_result")) != 0 {
			t.Errorf("reply %v, stdout %q, results %v", r, out.stdout(), out.of("execute_result"))
		}
		r, out = c.execute(`fmt.Sprintln("a value")`)
		if res := out.of("execute_result"); len(res) != 1 || res[0]["data"].(map[string]interface{})["text/plain"] != "a value\n" {
			t.Errorf("fmt.Sprintln result = %v", res)
		}
		lastCount += 2
	})

	t.Run("execution_count", func(t *testing.T) {
		r, _ := c.execute(`x`)
		if r["execution_count"].(float64) != lastCount+1 {
			t.Errorf("execution_count = %v after %v", r["execution_count"], lastCount)
		}
		id := c.send(c.shell, "execute_request", map[string]interface{}{"code": "x", "silent": true, "store_history": false})
		reply, err := c.recvReply(c.shellIn, id, wait)
		if err != nil {
			t.Fatal(err)
		}
		out := c.collect(id)
		if content(reply)["execution_count"].(float64) != lastCount+1 || len(out.of("execute_result")) != 0 {
			t.Errorf("silent execution changed the count or showed a result: %v, %d results", content(reply), len(out.of("execute_result")))
		}
	})

	t.Run("compile error", func(t *testing.T) {
		r, out := c.execute("y := undefinedThing + 1")
		if r["status"] != "error" || r["ename"] != "CompileError" || !strings.Contains(r["evalue"].(string), "undefinedThing") {
			t.Errorf("reply = %v", r)
		}
		if e := out.of("error"); len(e) != 1 || e[0]["ename"] != "CompileError" || len(e[0]["traceback"].([]interface{})) == 0 {
			t.Errorf("error messages = %v", e)
		}
		if len(out.of("execute_result")) != 0 {
			t.Error("a failed cell showed a result")
		}
	})

	t.Run("runtime panic, kernel survives", func(t *testing.T) {
		r, out := c.execute(`var m map[string]int
m["a"] = 1`)
		if r["status"] != "error" || r["ename"] != "Panic" || !strings.Contains(r["evalue"].(string), "nil map") {
			t.Errorf("reply = %v", r)
		}
		if len(out.of("error")) != 1 {
			t.Errorf("error messages = %v", out.of("error"))
		}
		r, _ = c.execute(`panic("boom")`)
		if r["status"] != "error" || !strings.Contains(r["evalue"].(string), "boom") {
			t.Errorf("reply = %v", r)
		}
		r, out = c.execute(`x + 1`)
		if r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "21" {
			t.Errorf("after panics: %v %v", r, out.of("execute_result"))
		}
	})

	t.Run("a compile error inside a block leaves nothing behind", func(t *testing.T) {
		// gomacro used to keep the "push a scope" statement of the failed
		// for loop and run it before the next cell's declarations.
		for _, bad := range []string{
			"for i := 0; i < 3; i++ { undefinedX }",
			"if v := 2; v > 1 { undefinedY }",
			"switch w := 3; w { case 1: undefinedZ }",
			"func broken() { for i := 0; i < 2; i++ { if i > 0 { undefinedW } } }",
		} {
			if r, _ := c.execute(bad); r["ename"] != "CompileError" {
				t.Errorf("%q: reply = %v", bad, r)
			}
			r, out := c.execute(`var fs []func() int
for i := 0; i < 3; i++ {
	fs = append(fs, func() int { return i * 10 })
}
len(fs)`)
			if r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "3" {
				t.Errorf("after %q, a loop appending closures: %v", bad, r)
			}
		}
	})

	t.Run("integer constant to string is a compile error", func(t *testing.T) {
		for _, code := range []string{"var s string = 65", "names := []string{'a'}", "func name() string { return 66 }"} {
			r, _ := c.execute(code)
			if r["ename"] != "CompileError" || !strings.Contains(r["evalue"].(string), "as string value") {
				t.Errorf("%q: reply = %v", code, r)
			}
		}
		r, out := c.execute(`string(rune(65)) + fmt.Sprint(66)`)
		if r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "A66" {
			t.Errorf("explicit conversions: %v %v", r, out.of("execute_result"))
		}
	})

	t.Run("go statements keep Go's semantics", func(t *testing.T) {
		r, out := c.execute(`import "sync"
var wg sync.WaitGroup
got := make([]float64, 3)
scale := func(i int, x float64) { defer wg.Done(); got[i] = x * float64(i) }
for i := 0; i < 3; i++ {
	wg.Add(1)
	go scale(i, 2) // i is evaluated now; 2 becomes a float64
}
wg.Wait()
sums := make(chan int, 2)
sum := func(xs ...int) {
	s := 0
	for _, x := range xs {
		s += x
	}
	sums <- s
}
go sum(1, 2)
go sum([]int{3, 4}...)
fmt.Sprint(got, " ", <-sums+<-sums)`)
		if r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "[0 2 4] 10" {
			t.Errorf("reply %v, result %v", r, out.of("execute_result"))
		}
	})

	t.Run("panic in a goroutine, kernel survives", func(t *testing.T) {
		// The cell waits in interpreted code; the goroutine's panic stops
		// it and becomes its error.
		r, out := c.execute(`import "time"
go func() {
	var m map[string]int
	m["x"] = 1
}()
for i := 0; i < 200000; i++ {
	time.Sleep(time.Millisecond)
}`)
		if r["status"] != "error" || r["ename"] != "Panic" || !strings.Contains(r["evalue"].(string), "in a goroutine") ||
			!strings.Contains(r["evalue"].(string), "nil map") {
			t.Errorf("reply = %v", r)
		}
		if e := out.of("error"); len(e) != 1 {
			t.Errorf("error messages = %v", e)
		}
		// A goroutine that panics after its cell ended is shown by the
		// next cell, which runs.
		c.execute(`go func() {
	time.Sleep(100 * time.Millisecond)
	panic("late boom")
}()`)
		time.Sleep(500 * time.Millisecond)
		r, out = c.execute(`x + 2`)
		if r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "22" {
			t.Errorf("cell after a late goroutine panic: %v", r)
		}
		var stderr string
		for _, s := range out.of("stream") {
			if s["name"] == "stderr" {
				stderr += s["text"].(string)
			}
		}
		if !strings.Contains(stderr, "late boom") {
			t.Errorf("stderr of the next cell = %q, want the late panic", stderr)
		}
	})

	t.Run("display data", func(t *testing.T) {
		r, out := c.execute(`fmt.Println("before")
Display(display.HTML("<b>bold</b>"))
display.Markdown("*result*")`)
		if r["status"] != "ok" {
			t.Fatalf("reply = %v", r)
		}
		dd := out.of("display_data")
		if len(dd) != 1 || dd[0]["data"].(map[string]interface{})["text/html"] != "<b>bold</b>" {
			t.Fatalf("display_data = %v", dd)
		}
		res := out.of("execute_result")
		if len(res) != 1 || res[0]["data"].(map[string]interface{})["text/markdown"] != "*result*" {
			t.Errorf("execute_result = %v", res)
		}
		// Text printed before Display comes before the display.
		var order []string
		for _, m := range out {
			switch m.Header.MsgType {
			case "stream", "display_data":
				order = append(order, m.Header.MsgType)
			}
		}
		if strings.Join(order, ",") != "stream,display_data" {
			t.Errorf("order of outputs = %v", order)
		}
	})

	t.Run("large output, multi-byte characters, order", func(t *testing.T) {
		r, out := c.execute(`import "strings"
line := strings.Repeat("é→", 1000) + "\n"
for i := 0; i < 50; i++ {
	fmt.Print(line)
}
Display(display.HTML("after"))
fmt.Print("end\n")`)
		if r["status"] != "ok" {
			t.Fatalf("reply = %v", r)
		}
		want := strings.Repeat(strings.Repeat("é→", 1000)+"\n", 50) + "end\n"
		if got := out.stdout(); got != want {
			t.Errorf("stdout: %d bytes, want %d (valid and in order)", len(got), len(want))
		}
		var seen int
		for _, m := range out {
			switch m.Header.MsgType {
			case "stream":
				seen += len(content(m)["text"].(string))
			case "display_data":
				if seen != len(want)-len("end\n") {
					t.Errorf("display_data after %d bytes of stdout, want %d", seen, len(want)-len("end\n"))
				}
			}
		}
	})

	t.Run("image, plot and table", func(t *testing.T) {
		_, out := c.execute(`import "image"
image.NewRGBA(image.Rect(0, 0, 3, 2))`)
		checkPNG(t, out, 3, 2)

		r, out := c.execute(`import (
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)
p := plot.New()
p.Title.Text = "squares"
pts := make(plotter.XYs, 5)
for i := range pts {
	pts[i].X, pts[i].Y = float64(i), float64(i*i)
}
line, err := plotter.NewLine(pts)
p.Add(line)
p`)
		if r["status"] != "ok" {
			t.Fatalf("plot cell: %v", r)
		}
		checkPNG(t, out, 576, 384)

		r, out = c.execute(`import (
	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)
dataframe.New(series.New([]string{"a", "b"}, series.String, "name"), series.New([]float64{1, 2.5}, series.Float, "score"))`)
		if r["status"] != "ok" {
			t.Fatalf("table cell: %v", r)
		}
		res := out.of("execute_result")
		html, _ := res[0]["data"].(map[string]interface{})["text/html"].(string)
		if !strings.Contains(html, "<table") || !strings.Contains(html, "score") || !strings.Contains(html, "2.5") {
			t.Errorf("table html = %q", html)
		}
	})

	t.Run("interpreted type with HTML method", func(t *testing.T) {
		c.execute(`type badge struct{ label string }
func (b badge) HTML() string { return "<span>" + b.label + "</span>" }`)
		r, out := c.execute(`badge{"new"}`)
		res := out.of("execute_result")
		if r["status"] != "ok" || len(res) != 1 {
			t.Fatalf("reply %v, results %v", r, res)
		}
		data := res[0]["data"].(map[string]interface{})
		if data["text/html"] != "<span>new</span>" || data["text/plain"] != "{new}" {
			t.Errorf("data = %v", data)
		}
		c.execute(`type formula struct{}
func (formula) SimpleRender() display.MIMEMap {
	return display.MIMEMap{display.MIMETypeLatex: "$E = mc^2$"}
}`)
		_, out = c.execute(`formula{}`)
		data = out.of("execute_result")[0]["data"].(map[string]interface{})
		if data["text/latex"] != "$E = mc^2$" || data["text/plain"] != "{}" {
			t.Errorf("SimpleRenderer data = %v", data)
		}
		c.execute(`type card struct{ title string }
func (c card) Render() display.Data {
	return display.Data{Data: display.MIMEMap{display.MIMETypeMarkdown: "## " + c.title, display.MIMETypeText: c.title}}
}`)
		_, out = c.execute(`card{"hi"}`)
		data = out.of("execute_result")[0]["data"].(map[string]interface{})
		if data["text/markdown"] != "## hi" || data["text/plain"] != "hi" {
			t.Errorf("Renderer data = %v", data)
		}
	})

	t.Run("complete", func(t *testing.T) {
		r := c.request(c.shell, c.shellIn, "complete_request", map[string]interface{}{"code": "fmt.Pri", "cursor_pos": 7})
		if r["status"] != "ok" || r["cursor_start"].(float64) != 4 || r["cursor_end"].(float64) != 7 {
			t.Errorf("complete_reply = %v", r)
		}
		if !contains(r["matches"], "Println") {
			t.Errorf("matches = %v", r["matches"])
		}
		// Cursor positions count code points, not bytes.
		r = c.request(c.shell, c.shellIn, "complete_request", map[string]interface{}{"code": `s := "é"; fmt.Spr`, "cursor_pos": 17})
		if r["cursor_start"].(float64) != 14 || !contains(r["matches"], "Sprintf") {
			t.Errorf("complete_reply after a non-ASCII string = %v", r)
		}
	})

	t.Run("inspect", func(t *testing.T) {
		r := c.request(c.shell, c.shellIn, "inspect_request", map[string]interface{}{"code": "fmt.Sprintf", "cursor_pos": 6, "detail_level": 0})
		data, _ := r["data"].(map[string]interface{})
		if r["status"] != "ok" || r["found"] != true || !strings.Contains(data["text/plain"].(string), "func(") {
			t.Errorf("inspect_reply = %v", r)
		}
		r = c.request(c.shell, c.shellIn, "inspect_request", map[string]interface{}{"code": "nosuchname", "cursor_pos": 3})
		if r["status"] != "ok" || r["found"] != false {
			t.Errorf("inspect_reply for an unknown name = %v", r)
		}
	})

	t.Run("is_complete", func(t *testing.T) {
		for code, want := range map[string]string{
			"x := 1":                   "complete",
			"for i := 0; i < 3; i++ {": "incomplete",
			"s := `raw":                "incomplete",
			"x := )":                   "invalid",
		} {
			r := c.request(c.shell, c.shellIn, "is_complete_request", map[string]interface{}{"code": code})
			if r["status"] != want {
				t.Errorf("is_complete(%q) = %v, want %s", code, r, want)
			}
		}
	})

	t.Run("comms answered harmlessly", func(t *testing.T) {
		r := c.request(c.shell, c.shellIn, "comm_info_request", map[string]interface{}{})
		if r["status"] != "ok" || len(r["comms"].(map[string]interface{})) != 0 {
			t.Errorf("comm_info_reply = %v", r)
		}
		id := c.send(c.shell, "comm_open", map[string]interface{}{"comm_id": "c1", "target_name": "jupyter.widget", "data": map[string]interface{}{}})
		m, err := c.waitIOPub(id, "comm_close", wait)
		if err != nil {
			t.Fatal(err)
		}
		if content(m)["comm_id"] != "c1" {
			t.Errorf("comm_close = %s", m.Content)
		}
		c.collect(id)
		c.send(c.shell, "comm_msg", map[string]interface{}{"comm_id": "c1", "data": map[string]interface{}{}})
		if r, _ := c.execute("1"); r["status"] != "ok" {
			t.Errorf("after comm messages: %v", r)
		}
	})

	t.Run("missing import", func(t *testing.T) {
		r, _ := c.execute(`import "example.com/not/compiled/in"`)
		if r["ename"] != "ImportError" || !strings.Contains(r["evalue"].(string), "gen.sh") {
			t.Errorf("reply = %v", r)
		}
	})

	interrupt := func(t *testing.T, how func()) {
		id := c.send(c.shell, "execute_request", map[string]interface{}{"code": `import "time"
n := 0
for {
	n++
	if n%1000 == 0 {
		time.Sleep(time.Millisecond)
	}
}`, "silent": false})
		// Interrupt once the loop runs (its cell has been taken up).
		if _, err := c.waitIOPub(id, "execute_input", wait); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		how()
		reply, err := c.recvReply(c.shellIn, id, wait)
		if err != nil {
			t.Fatal(err)
		}
		c.collect(id)
		r := content(reply)
		if r["status"] != "error" || r["ename"] != "Interrupt" {
			t.Errorf("interrupted cell: %v", r)
		}
		t.Logf("stopped %v after the interrupt", time.Since(start).Round(time.Millisecond))
		if r, out := c.execute("n > 0"); r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "true" {
			t.Errorf("after interrupt: %v", r)
		}
	}
	t.Run("interrupt_request", func(t *testing.T) {
		interrupt(t, func() {
			r := c.request(c.control, c.controlIn, "interrupt_request", map[string]interface{}{})
			if r["status"] != "ok" {
				t.Errorf("interrupt_reply = %v", r)
			}
		})
	})
	t.Run("SIGINT", func(t *testing.T) {
		interrupt(t, func() {
			if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
		})
	})
	t.Run("SIGINT while idle is harmless", func(t *testing.T) {
		c.cmd.Process.Signal(syscall.SIGINT)
		time.Sleep(100 * time.Millisecond)
		if r, _ := c.execute(`import "time"
time.Sleep(50 * time.Millisecond)
1`); r["status"] != "ok" {
			t.Errorf("cell after an idle SIGINT: %v", r)
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		id := c.send(c.control, "shutdown_request", map[string]interface{}{"restart": false})
		reply, err := c.recvReply(c.controlIn, id, wait)
		if err != nil {
			t.Fatal(err)
		}
		r := content(reply)
		if r["status"] != "ok" || r["restart"] != false {
			t.Errorf("shutdown_reply = %v", r)
		}
		select {
		case err := <-c.exited:
			if err != nil {
				t.Errorf("kernel exited with %v", err)
			}
		case <-time.After(wait):
			t.Fatal("kernel still running after shutdown")
		}
	})
}

// TestInterruptTraining interrupts a cell that is inside compiled code (a
// training run given display.Context()) and checks that the cell stops,
// the kernel runs the next cell, and the last epoch's checkpoint is there
// and loads.
func TestInterruptTraining(t *testing.T) {
	c := startKernel(t)
	dir := t.TempDir()
	r, _ := c.execute(fmt.Sprintf(`import (
	"aeir/data/vendormoji"
	"aeir/train"
)
ds, err := vendormoji.Load()
if err != nil {
	panic(err)
}
scenario := vendormoji.Default
task, err := ds.Task(scenario, vendormoji.Shared, 1)
if err != nil {
	panic(err)
}
opt := train.Defaults()
opt.Method = "source-only"
opt.Epochs, opt.Batch, opt.TargetBatch, opt.WarmupSteps = 10000, 64, 64, 10
opt.Model.Channels, opt.Model.Dim, opt.Model.TextHidden = []int{8, 16}, 32, 64
opt.Data = train.Data{Dataset: vendormoji.Name, Source: scenario.Source.String(), Target: scenario.Target.String(),
	Protocol: vendormoji.Shared, Seed: 1}
tr, err := train.New(task, opt, %q, false)
if err != nil {
	panic(err)
}`, dir))
	if r["status"] != "ok" {
		t.Fatalf("setting up: %v", r)
	}
	id := c.send(c.shell, "execute_request", map[string]interface{}{"code": `if err := tr.RunContext(display.Context()); err != nil {
	panic(err)
}`, "silent": false})
	if _, err := c.waitIOPub(id, "execute_input", wait); err != nil {
		t.Fatal(err)
	}
	// Interrupt once an epoch is checkpointed (a hang check, not a speed
	// requirement: a busy machine may be slow).
	ckpt := filepath.Join(dir, train.CheckpointFile)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after 5 minutes of training")
		}
		if early, err := c.recvReply(c.shellIn, id, 50*time.Millisecond); err == nil {
			t.Fatalf("the training cell ended before any checkpoint: %v", content(early))
		}
	}
	start := time.Now()
	if ir := c.request(c.control, c.controlIn, "interrupt_request", map[string]interface{}{}); ir["status"] != "ok" {
		t.Errorf("interrupt_reply = %v", ir)
	}
	reply, err := c.recvReply(c.shellIn, id, 20*time.Second)
	if err != nil {
		t.Fatalf("the training cell did not return within 20 s of the interrupt: %v", err)
	}
	t.Logf("the training cell returned %v after the interrupt", time.Since(start).Round(time.Millisecond))
	c.collect(id)
	if r := content(reply); r["status"] != "error" || r["ename"] != "Interrupt" {
		t.Errorf("interrupted training cell: %v", r)
	}

	// The kernel is alive and the trainer's state is what the checkpoint
	// holds: whole epochs only.
	r, out := c.execute(`len(tr.History())`)
	if r["status"] != "ok" {
		t.Fatalf("cell after the interrupt: %v", r)
	}
	epochs := out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"].(string)
	_, meta, _, err := model.Load(ckpt)
	if err != nil {
		t.Fatalf("the checkpoint does not load after the interrupt: %v", err)
	}
	var st struct {
		Epoch int `json:"epoch"`
	}
	if err := json.Unmarshal(meta.Extra, &st); err != nil {
		t.Fatal(err)
	}
	if st.Epoch < 1 || fmt.Sprint(st.Epoch) != epochs {
		t.Errorf("checkpoint at epoch %d, trainer history %s epochs", st.Epoch, epochs)
	}
	// A fresh context: the next compiled call that watches it runs.
	r, out = c.execute(`display.Context().Err() == nil`)
	if r["status"] != "ok" || out.of("execute_result")[0]["data"].(map[string]interface{})["text/plain"] != "true" {
		t.Errorf("the next cell's context: %v %v", r, out.of("execute_result"))
	}
}

// TestShutdownWhileBusy checks that a shutdown request ends the kernel
// even while a cell is stuck in compiled code.
func TestShutdownWhileBusy(t *testing.T) {
	c := startKernel(t)
	id := c.send(c.shell, "execute_request", map[string]interface{}{"code": `import "time"
time.Sleep(time.Hour)`, "silent": false})
	if _, err := c.waitIOPub(id, "execute_input", wait); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sid := c.send(c.control, "shutdown_request", map[string]interface{}{"restart": true})
	reply, err := c.recvReply(c.controlIn, sid, wait)
	if err != nil {
		t.Fatal(err)
	}
	if r := content(reply); r["status"] != "ok" || r["restart"] != true {
		t.Errorf("shutdown_reply = %v", r)
	}
	select {
	case err := <-c.exited:
		if err != nil {
			t.Errorf("kernel exited with %v", err)
		}
		t.Logf("exited %v after the request", time.Since(start).Round(time.Millisecond))
	case <-time.After(wait):
		t.Fatal("kernel still running after shutdown")
	}
}

// TestHalfOpenConnectionsAreQuiet connects to the kernel's ports and
// leaves before the ZMTP greeting, as Jupyter's clients do when they probe
// a port: zmq4 would log "could not open a ZMTP connection" for each; the
// kernel keeps those off its stderr, and goes on serving.
func TestHalfOpenConnectionsAreQuiet(t *testing.T) {
	c := startKernel(t)
	for _, port := range []int{c.ci.ShellPort, c.ci.ControlPort, c.ci.IOPubPort, c.ci.HBPort} {
		conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte{0xff, 0})
		conn.Close()
	}
	time.Sleep(300 * time.Millisecond) // let the kernel's accept loops see them
	if r, _ := c.execute("1 + 1"); r["status"] != "ok" {
		t.Errorf("after half-open connections: %v", r)
	}
	if s := c.stderr.String(); strings.Contains(s, "could not open a ZMTP connection") {
		t.Errorf("kernel stderr:\n%s", s)
	}
}

// TestBadSignatureIgnored checks that a message signed with another key
// gets no answer, while a good one does.
func TestBadSignatureIgnored(t *testing.T) {
	c := startKernel(t)
	good := c.sig
	c.sig = &signer{key: []byte("not the key")}
	id := c.send(c.shell, "kernel_info_request", map[string]interface{}{})
	c.sig = good
	if _, err := c.recvReply(c.shellIn, id, time.Second); err == nil {
		t.Error("the kernel answered a badly signed message")
	}
	c.request(c.shell, c.shellIn, "kernel_info_request", map[string]interface{}{})
}

func checkPNG(t *testing.T, out outputs, w, h int) {
	t.Helper()
	res := out.of("execute_result")
	if len(res) != 1 {
		t.Fatalf("execute_result messages: %v", res)
	}
	s, _ := res[0]["data"].(map[string]interface{})["image/png"].(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("image/png is not base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image/png does not decode: %v", err)
	}
	if r := img.Bounds(); r.Dx() != w || r.Dy() != h {
		t.Errorf("image is %dx%d, want %dx%d", r.Dx(), r.Dy(), w, h)
	}
}

func contains(list interface{}, s string) bool {
	l, _ := list.([]interface{})
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}
