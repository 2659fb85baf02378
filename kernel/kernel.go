package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/go-zeromq/zmq4"

	"aeir/kernel/display"
	"aeir/kernel/internal/cellctx"
)

// connInfo is the connection file Jupyter hands the kernel.
type connInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	ControlPort     int    `json:"control_port"`
	StdinPort       int    `json:"stdin_port"`
	IOPubPort       int    `json:"iopub_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
}

func readConnInfo(path string) (connInfo, error) {
	var ci connInfo
	b, err := os.ReadFile(path)
	if err != nil {
		return ci, err
	}
	if err := json.Unmarshal(b, &ci); err != nil {
		return ci, fmt.Errorf("%s: %w", path, err)
	}
	if ci.Transport == "" {
		ci.Transport = "tcp"
	}
	if ci.SignatureScheme == "" {
		ci.SignatureScheme = "hmac-sha256"
	}
	return ci, nil
}

func (ci connInfo) endpoint(port int) string {
	if ci.Transport == "ipc" {
		return fmt.Sprintf("ipc://%s-%d", ci.IP, port)
	}
	return fmt.Sprintf("%s://%s:%d", ci.Transport, ci.IP, port)
}

// socket is a zmq socket whose sends are serialised.
type socket struct {
	mu sync.Mutex
	zmq4.Socket
}

func (s *socket) send(frames [][]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.SendMulti(zmq4.NewMsgFrom(frames...))
}

// kernel is one running kernel process.
type kernel struct {
	sig     *signer
	session string // this kernel's session id, in the headers it writes
	log     *log.Logger

	shell, control, stdin, iopub, hb *socket

	ev        *evaluator
	execCount int
	executing atomic.Bool // a cell is running: interrupts go to it

	// goPanics holds what goroutines started by cells panicked with:
	// cell, those of the running cell (which ends with that error);
	// later, those that came between cells (shown by the next cell).
	goMu        sync.Mutex
	goCell      []string
	goLater     []string
	interrupted atomic.Bool // the running cell was interrupted

	shellMsgs chan *message
	done      chan struct{}
	closeOnce sync.Once
}

func newKernel(ci connInfo, logger *log.Logger) (*kernel, error) {
	sig, err := newSigner(ci.SignatureScheme, ci.Key)
	if err != nil {
		return nil, err
	}
	ev, err := newEvaluator()
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	zlog := log.New(&handshakeFilter{logger: logger}, "", 0)
	opt := zmq4.WithLogger(zlog)
	k := &kernel{
		sig:       sig,
		session:   newID(),
		log:       logger,
		shell:     &socket{Socket: zmq4.NewRouter(ctx, opt)},
		control:   &socket{Socket: zmq4.NewRouter(ctx, opt)},
		stdin:     &socket{Socket: zmq4.NewRouter(ctx, opt)},
		iopub:     &socket{Socket: zmq4.NewPub(ctx, opt)},
		hb:        &socket{Socket: zmq4.NewRep(ctx, opt)},
		ev:        ev,
		shellMsgs: make(chan *message, 64),
		done:      make(chan struct{}),
	}
	ev.goPanic = k.goroutinePanic
	for _, b := range []struct {
		s    *socket
		port int
		name string
	}{{k.shell, ci.ShellPort, "shell"}, {k.control, ci.ControlPort, "control"}, {k.stdin, ci.StdinPort, "stdin"},
		{k.iopub, ci.IOPubPort, "iopub"}, {k.hb, ci.HBPort, "heartbeat"}} {
		if err := b.s.Listen(ci.endpoint(b.port)); err != nil {
			k.close()
			return nil, fmt.Errorf("%s socket on %s: %w", b.name, ci.endpoint(b.port), err)
		}
	}
	return k, nil
}

func (k *kernel) close() {
	k.closeOnce.Do(func() {
		close(k.done)
		for _, s := range []*socket{k.shell, k.control, k.stdin, k.iopub, k.hb} {
			if s != nil {
				s.Close()
			}
		}
	})
}

// run serves until a shutdown request. Cells run on the calling
// goroutine, the one that created the interpreter; control messages,
// heartbeats and interrupts are served by other goroutines meanwhile.
func (k *kernel) run() {
	go k.heartbeat()
	go k.receive(k.shell, "shell", func(m *message) { k.shellMsgs <- m })
	go k.receive(k.control, "control", k.handleControl)
	go k.receive(k.stdin, "stdin", func(m *message) {
		k.log.Printf("ignoring %s on stdin (input requests are not supported)", m.Header.MsgType)
	})
	k.publish(nil, "status", map[string]string{"execution_state": "starting"})
	for {
		select {
		case <-k.done:
			return
		case m := <-k.shellMsgs:
			k.handleShell(m)
		}
	}
}

// receive reads one ROUTER socket until the kernel closes.
func (k *kernel) receive(s *socket, name string, handle func(*message)) {
	for {
		msg, err := s.Recv()
		if err != nil {
			select {
			case <-k.done:
				return
			default:
			}
			k.log.Printf("%s: receive: %v", name, err)
			continue
		}
		m, err := k.sig.decode(msg.Frames)
		if err != nil {
			k.log.Printf("%s: dropping message: %v", name, err)
			continue
		}
		handle(m)
	}
}

func (k *kernel) heartbeat() {
	for {
		msg, err := k.hb.Recv()
		if err != nil {
			select {
			case <-k.done:
				return
			default:
			}
			k.log.Printf("heartbeat: %v", err)
			continue
		}
		if err := k.hb.send(msg.Frames); err != nil {
			k.log.Printf("heartbeat: %v", err)
		}
	}
}

// reply answers a request on the socket it came from.
func (k *kernel) reply(s *socket, req *message, msgType string, content interface{}) {
	h := newHeader(msgType, k.session, "kernel")
	frames, err := k.sig.encode(req.Identities, h, req.RawHeader, nil, content)
	if err == nil {
		err = s.send(frames)
	}
	if err != nil {
		k.log.Printf("sending %s: %v", msgType, err)
	}
}

// publish broadcasts on IOPub, as a child of parent (nil: no parent).
func (k *kernel) publish(parent *message, msgType string, content interface{}) {
	h := newHeader(msgType, k.session, "kernel")
	var raw json.RawMessage
	if parent != nil {
		raw = parent.RawHeader
	}
	topic := []byte("kernel." + k.session + "." + msgType)
	if msgType == "status" {
		topic = []byte("kernel." + k.session + ".status")
	}
	frames, err := k.sig.encode([][]byte{topic}, h, raw, nil, content)
	if err == nil {
		err = k.iopub.send(frames)
	}
	if err != nil {
		k.log.Printf("publishing %s: %v", msgType, err)
	}
}

func (k *kernel) status(parent *message, state string) {
	k.publish(parent, "status", map[string]string{"execution_state": state})
}

func (k *kernel) handleControl(m *message) {
	k.status(m, "busy")
	defer k.status(m, "idle")
	defer k.survive(m)
	switch m.Header.MsgType {
	case "interrupt_request":
		k.interrupt()
		k.reply(k.control, m, "interrupt_reply", map[string]string{"status": "ok"})
	case "shutdown_request":
		k.shutdown(k.control, m)
	case "kernel_info_request":
		k.reply(k.control, m, "kernel_info_reply", kernelInfo())
	default:
		k.log.Printf("control: ignoring %s", m.Header.MsgType)
	}
}

// interrupt stops the running cell, if any: it cancels the cell's
// context (display.Context), which stops compiled code that watches it,
// and asks the interpreter to stop at its next statement.
func (k *kernel) interrupt() {
	if k.executing.Load() {
		k.interrupted.Store(true)
		cellctx.Cancel()
		k.ev.interrupt()
	}
}

// goroutinePanic is told what a goroutine started by a cell panicked
// with. While a cell runs, the panic is printed under it and the cell is
// stopped, to end with that error (a goroutine's panic would end a Go
// program); between cells it is kept for the next cell to show.
func (k *kernel) goroutinePanic(msg string) {
	k.goMu.Lock()
	running := k.executing.Load()
	if running {
		k.goCell = append(k.goCell, msg)
	} else {
		k.goLater = append(k.goLater, msg)
	}
	k.goMu.Unlock()
	if running {
		fmt.Fprintf(os.Stderr, "panic in a goroutine: %s\n", msg)
		cellctx.Cancel()
		k.ev.interrupt()
	} else {
		k.log.Printf("panic in a goroutine after its cell ended: %s", msg)
	}
}

func (k *kernel) shutdown(s *socket, m *message) {
	var req struct {
		Restart bool `json:"restart"`
	}
	json.Unmarshal(m.Content, &req)
	k.reply(s, m, "shutdown_reply", map[string]interface{}{"status": "ok", "restart": req.Restart})
	k.status(m, "idle")
	k.close()
	cellctx.Cancel()
	if k.executing.Load() {
		// A cell is running on the main goroutine and may never return
		// (a compiled call, an endless loop): stop it, and exit anyway
		// shortly after.
		k.ev.interrupt()
		go func() {
			time.Sleep(time.Second)
			os.Exit(0)
		}()
	}
}

// handshakeFilter is the zmq sockets' logger. zmq4 logs "could not open a
// ZMTP connection ... broken pipe" (or EOF, connection reset) whenever a
// peer connects to a kernel port and leaves before the ZMTP greeting is
// over; Jupyter's clients do that when they probe ports or close a
// channel they opened but never used, and nothing is lost. Those lines
// are dropped unless AEIR_KERNEL_DEBUG is set; anything else zmq4 logs
// goes to the kernel's log.
type handshakeFilter struct{ logger *log.Logger }

func (f *handshakeFilter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	if strings.Contains(line, "could not open a ZMTP connection") && os.Getenv("AEIR_KERNEL_DEBUG") == "" {
		for _, benign := range []string{"broken pipe", "EOF", "connection reset", "use of closed network connection"} {
			if strings.Contains(line, benign) {
				return len(p), nil
			}
		}
	}
	f.logger.Print("zmq4: " + line)
	return len(p), nil
}

// survive logs a panic of the kernel's own code while handling m, so that
// one bad request does not end the kernel.
func (k *kernel) survive(m *message) {
	if r := recover(); r != nil {
		k.log.Printf("internal error handling %s: %v", m.Header.MsgType, r)
	}
}

func (k *kernel) handleShell(m *message) {
	k.status(m, "busy")
	defer k.status(m, "idle")
	defer k.survive(m)
	switch t := m.Header.MsgType; t {
	case "kernel_info_request":
		k.reply(k.shell, m, "kernel_info_reply", kernelInfo())
	case "execute_request":
		k.execute(m)
	case "complete_request":
		k.completeRequest(m)
	case "inspect_request":
		k.inspectRequest(m)
	case "is_complete_request":
		var req struct {
			Code string `json:"code"`
		}
		json.Unmarshal(m.Content, &req)
		status, indent := k.ev.isComplete(req.Code)
		content := map[string]string{"status": status}
		if status == "incomplete" {
			content["indent"] = indent
		}
		k.reply(k.shell, m, "is_complete_reply", content)
	case "history_request":
		k.reply(k.shell, m, "history_reply", map[string]interface{}{"status": "ok", "history": []interface{}{}})
	case "comm_info_request":
		k.reply(k.shell, m, "comm_info_reply", map[string]interface{}{"status": "ok", "comms": map[string]interface{}{}})
	case "comm_open":
		// No comm targets: close it again, as IPython does for unknown targets.
		var req struct {
			CommID string `json:"comm_id"`
		}
		json.Unmarshal(m.Content, &req)
		k.publish(m, "comm_close", map[string]interface{}{"comm_id": req.CommID, "data": map[string]interface{}{}})
	case "comm_msg", "comm_close":
		// Nothing is open; nothing to do.
	case "shutdown_request":
		k.shutdown(k.shell, m)
	default:
		k.log.Printf("shell: ignoring %s", t)
	}
}

func kernelInfo() map[string]interface{} {
	return map[string]interface{}{
		"status":                 "ok",
		"protocol_version":       protocolVersion,
		"implementation":         "aeir-kernel",
		"implementation_version": version,
		"language_info": map[string]interface{}{
			"name":               "go",
			"version":            runtime.Version()[2:],
			"mimetype":           "text/x-go",
			"file_extension":     ".go",
			"pygments_lexer":     "go",
			"codemirror_mode":    "go",
			"nbconvert_exporter": "",
		},
		"banner": fmt.Sprintf("AEIR Go kernel %s (gomacro interpreter, %s); gophernotes-compatible display API", version, runtime.Version()),
		"help_links": []map[string]string{
			{"text": "Go", "url": "https://go.dev/doc/"},
			{"text": "gomacro", "url": "https://github.com/cosmos72/gomacro"},
		},
		"debugger": false,
	}
}

// codePoints converts between Jupyter's cursor positions (counted in
// Unicode code points since protocol 5.2) and byte offsets.
func byteOffset(s string, cp int) int {
	i := 0
	for n := 0; n < cp && i < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

func codePoints(s string, off int) int {
	if off > len(s) {
		off = len(s)
	}
	return utf8.RuneCountInString(s[:off])
}

func (k *kernel) completeRequest(m *message) {
	var req struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	json.Unmarshal(m.Content, &req)
	pos := byteOffset(req.Code, req.CursorPos)
	matches, start := k.ev.complete(req.Code, pos)
	if matches == nil {
		matches = []string{}
	}
	k.reply(k.shell, m, "complete_reply", map[string]interface{}{
		"status":       "ok",
		"matches":      matches,
		"cursor_start": codePoints(req.Code, start),
		"cursor_end":   req.CursorPos,
		"metadata":     map[string]interface{}{},
	})
}

func (k *kernel) inspectRequest(m *message) {
	var req struct {
		Code        string `json:"code"`
		CursorPos   int    `json:"cursor_pos"`
		DetailLevel int    `json:"detail_level"`
	}
	json.Unmarshal(m.Content, &req)
	text, found := k.ev.inspect(req.Code, byteOffset(req.Code, req.CursorPos))
	data := map[string]interface{}{}
	if found {
		data[display.MIMETypeText] = text
	}
	k.reply(k.shell, m, "inspect_reply", map[string]interface{}{
		"status":   "ok",
		"found":    found,
		"data":     data,
		"metadata": map[string]interface{}{},
	})
}
