package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"aeir/kernel/display"
	"aeir/kernel/internal/cellctx"
)

type executeRequest struct {
	Code         string `json:"code"`
	Silent       bool   `json:"silent"`
	StoreHistory *bool  `json:"store_history"`
}

// execute runs one execute_request: execute_input, the cell's streams and
// displays, then execute_result or error on IOPub, and execute_reply.
func (k *kernel) execute(m *message) {
	var req executeRequest
	if err := json.Unmarshal(m.Content, &req); err != nil {
		k.reply(k.shell, m, "execute_reply", map[string]interface{}{
			"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{err.Error()},
			"execution_count": k.execCount,
		})
		return
	}
	if !req.Silent && (req.StoreHistory == nil || *req.StoreHistory) {
		k.execCount++
	}
	count := k.execCount
	if !req.Silent {
		k.publish(m, "execute_input", map[string]interface{}{"code": req.Code, "execution_count": count})
	}

	data, show, evalErr := k.runCaptured(m, req.Code)

	if evalErr != nil {
		ee := asEvalError(evalErr)
		k.publish(m, "error", map[string]interface{}{"ename": ee.Name, "evalue": ee.Value, "traceback": ee.traceback()})
		k.reply(k.shell, m, "execute_reply", map[string]interface{}{
			"status": "error", "ename": ee.Name, "evalue": ee.Value, "traceback": ee.traceback(),
			"execution_count": count,
		})
		return
	}
	if show && !req.Silent {
		if data.Metadata == nil {
			data.Metadata = display.MIMEMap{}
		}
		k.publish(m, "execute_result", map[string]interface{}{
			"execution_count": count, "data": data.Data, "metadata": data.Metadata,
		})
	}
	k.reply(k.shell, m, "execute_reply", map[string]interface{}{
		"status": "ok", "execution_count": count, "user_expressions": map[string]interface{}{}, "payload": []interface{}{},
	})
}

// runCaptured runs a cell with its output captured and displays
// published as children of m, and renders its result.
func (k *kernel) runCaptured(m *message, code string) (data display.Data, show bool, evalErr error) {
	capt, err := k.startCapture(m)
	if err != nil {
		k.log.Printf("capturing output: %v", err)
	} else {
		defer capt.stop()
	}
	old := display.SetPublisher(func(d display.Data) error {
		if capt != nil {
			capt.flush()
		}
		k.publish(m, "display_data", map[string]interface{}{
			"data": d.Data, "metadata": d.Metadata, "transient": d.Transient,
		})
		return nil
	})
	defer display.SetPublisher(old)

	// A fresh context if the last cell was interrupted; what goroutines of
	// earlier cells panicked with after their cell ended is shown first.
	cellctx.Renew()
	k.ev.clearInterrupt()
	k.interrupted.Store(false)
	k.goMu.Lock()
	later := k.goLater
	k.goLater, k.goCell = nil, nil
	k.executing.Store(true)
	k.goMu.Unlock()
	for _, msg := range later {
		fmt.Fprintf(os.Stderr, "panic in a goroutine started by an earlier cell (after that cell ended): %s\n", msg)
	}

	res, evalErr := k.runCell(code)

	k.goMu.Lock()
	k.executing.Store(false)
	panics := k.goCell
	k.goCell = nil
	k.goMu.Unlock()
	if len(panics) > 0 {
		// A goroutine of this cell panicked: the cell stopped because of
		// it, whatever it ended with.
		return data, false, &evalError{Name: "Panic", Value: "in a goroutine: " + panics[0]}
	}
	if ee, ok := evalErr.(*evalError); ok && ee.Name != "Interrupt" && k.interrupted.Load() && cellctx.Current().Err() != nil {
		// Interrupted in compiled code that watched display.Context and
		// returned its error, which the cell then panicked with.
		return data, false, &evalError{Name: "Interrupt", Value: "interrupted by the user: " + ee.Value}
	}
	if evalErr == nil {
		data, show = k.renderResult(res)
	}
	return data, show, evalErr
}

// renderResult renders the cell's values; a panic while rendering (in a
// user's HTML method, say) is reported as text rather than lost.
func (k *kernel) renderResult(res result) (d display.Data, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d, ok = display.MakeData(display.MIMETypeText, fmt.Sprintf("display error: %v", r)), true
		}
	}()
	return k.ev.render(res)
}

func asEvalError(err error) *evalError {
	var ee *evalError
	if errors.As(err, &ee) {
		return ee
	}
	return &evalError{Name: "Error", Value: err.Error()}
}

func (e *evalError) traceback() []string {
	if len(e.Trace) > 0 {
		return e.Trace
	}
	return []string{e.Name + ": " + e.Value}
}

// runCell runs the gophernotes special lines at the top of a cell (%cd,
// %help, $shell command), then the Go code.
func (k *kernel) runCell(code string) (result, error) {
	lines := strings.Split(code, "\n")
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if t[0] != '%' && t[0] != '$' {
			break
		}
		lines[i] = "" // keep line numbers of the Go code
		var err error
		if t[0] == '%' {
			err = magic(t)
		} else {
			err = shell(t[1:])
		}
		if err != nil {
			return result{}, err
		}
	}
	return k.ev.eval(strings.Join(lines, "\n"))
}

const magicHelp = `special lines at the top of a cell:
%cd [DIR]     change the working directory (home when DIR is omitted)
%help         this text
$COMMAND      run COMMAND with /bin/sh, showing its output
`

func magic(line string) error {
	f := strings.Fields(line)
	switch f[0] {
	case "%cd":
		dir := ""
		if len(f) > 1 {
			dir = strings.TrimSpace(strings.TrimPrefix(line, "%cd"))
		} else if h, err := os.UserHomeDir(); err == nil {
			dir = h
		}
		if err := os.Chdir(dir); err != nil {
			return &evalError{Name: "MagicError", Value: err.Error()}
		}
	case "%help":
		io.WriteString(os.Stdout, magicHelp)
	case "%go111module":
		// gophernotes' switch between module and GOPATH imports: imports
		// here are compiled in ahead of time, so it has nothing to change.
	default:
		return &evalError{Name: "MagicError", Value: fmt.Sprintf("unknown special command %q\n%s", f[0], magicHelp)}
	}
	return nil
}

func shell(command string) error {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return &evalError{Name: "ShellError", Value: fmt.Sprintf("$%s: %v", command, err)}
	}
	return nil
}

// capture redirects os.Stdout, os.Stderr and the standard logger into
// pipes while a cell runs, and forwards what arrives as stream messages.
//
// Output and displays keep their order: a reader takes bytes out of a
// pipe and publishes them under mu, and flush (before a display_data)
// takes mu and empties the pipes itself, so every byte written before
// the display is published before it.
type capture struct {
	k      *kernel
	parent *message
	oldOut *os.File
	oldErr *os.File
	oldLog io.Writer
	wg     sync.WaitGroup

	mu      sync.Mutex
	streams [2]stream
}

// stream is one captured pipe.
type stream struct {
	name  string // stdout or stderr
	r, w  *os.File
	rc    syscall.RawConn
	carry []byte // an incomplete UTF-8 character held for the next read
	buf   []byte
}

func (k *kernel) startCapture(parent *message) (*capture, error) {
	c := &capture{k: k, parent: parent, oldOut: os.Stdout, oldErr: os.Stderr, oldLog: log.Writer()}
	for i, name := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		var rc syscall.RawConn
		if err == nil {
			rc, err = r.SyscallConn()
		}
		if err != nil {
			for j := 0; j < i; j++ {
				c.streams[j].r.Close()
				c.streams[j].w.Close()
			}
			return nil, err
		}
		c.streams[i] = stream{name: name, r: r, w: w, rc: rc, buf: make([]byte, 64<<10)}
	}
	os.Stdout, os.Stderr = c.streams[0].w, c.streams[1].w
	log.SetOutput(os.Stderr)
	for i := range c.streams {
		c.wg.Add(1)
		go c.forward(&c.streams[i])
	}
	return c, nil
}

// forward publishes what arrives on one pipe until its writer closes.
func (c *capture) forward(s *stream) {
	defer c.wg.Done()
	for {
		eof := false
		err := s.rc.Read(func(fd uintptr) bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			n, closed := c.drain(s, fd)
			eof = closed
			return n > 0 || closed // false: wait until readable again
		})
		if eof || err != nil {
			c.mu.Lock()
			if len(s.carry) > 0 {
				c.publishText(s, s.carry)
				s.carry = nil
			}
			c.mu.Unlock()
			return
		}
	}
}

// drain reads a (non-blocking) pipe until it is empty and publishes what
// it read; closed reports that the writer has gone. Called with mu held.
func (c *capture) drain(s *stream, fd uintptr) (total int, closed bool) {
	for {
		n, err := syscall.Read(int(fd), s.buf)
		if n > 0 {
			total += n
			chunk := append(s.carry, s.buf[:n]...)
			cut := completeUTF8(chunk)
			c.publishText(s, chunk[:cut])
			s.carry = append([]byte(nil), chunk[cut:]...)
			continue
		}
		if err == syscall.EINTR {
			continue
		}
		return total, n == 0 && err == nil
	}
}

func (c *capture) publishText(s *stream, b []byte) {
	if text := dropGomacroWarnings(b); text != "" {
		c.k.publish(c.parent, "stream", map[string]string{"name": s.name, "text": text})
	}
}

// flush publishes everything the cell has printed so far.
func (c *capture) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.streams {
		s := &c.streams[i]
		s.rc.Control(func(fd uintptr) { c.drain(s, fd) })
	}
}

// stop restores the standard streams and waits for the forwarders.
func (c *capture) stop() {
	os.Stdout, os.Stderr = c.oldOut, c.oldErr
	log.SetOutput(c.oldLog)
	for i := range c.streams {
		c.streams[i].w.Close()
	}
	c.wg.Wait()
	for i := range c.streams {
		c.streams[i].r.Close()
	}
}

// gomacroWarning starts the lines gomacro prints (with fmt.Printf, so into
// the cell's stdout) when it meets a generic function of a compiled
// package, which it cannot import: noise for the notebook's reader.
const gomacroWarning = "// warning: skipping import of "

// dropGomacroWarnings returns b as valid UTF-8 without gomacro's
// "skipping import" lines.
func dropGomacroWarnings(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if !strings.Contains(s, gomacroWarning) {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if !strings.HasPrefix(l, gomacroWarning) {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "")
}

// completeUTF8 returns the length of b without a trailing incomplete
// UTF-8 character.
func completeUTF8(b []byte) int {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return len(b)
		}
		if c >= 0xC0 { // a leading byte: is its character complete?
			if utf8.FullRune(b[len(b)-i:]) {
				return len(b)
			}
			return len(b) - i
		}
	}
	return len(b)
}
