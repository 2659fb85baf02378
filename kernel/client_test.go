package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// The test binary doubles as the kernel: started with childEnv set to a
// connection file, it serves that instead of running tests. The tests
// then talk to a real kernel process over zmq, as Jupyter does, and can
// send it SIGINT.
const childEnv = "AEIR_KERNEL_TEST_CONNECTION_FILE"

func TestMain(m *testing.M) {
	if cf := os.Getenv(childEnv); cf != "" {
		if err := serve(cf, log.New(os.Stderr, "aeir-kernel(test): ", log.LstdFlags)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// wait is how long a test waits for any one message.
const wait = 60 * time.Second

// client is a minimal Jupyter front end.
type client struct {
	t       *testing.T
	sig     *signer
	session string
	cmd     *exec.Cmd
	ci      connInfo
	exited  chan error
	stderr  *lockedBuffer

	shell, control, hb zmq4.Socket
	iopub              zmq4.Socket
	shellIn, controlIn chan *message
	iopubIn            chan *message

	mu      sync.Mutex
	backlog []*message // IOPub messages read but not yet claimed
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freePorts(t *testing.T, n int) []int {
	var ls []net.Listener
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// startKernel starts a kernel process and connects a client to it.
func startKernel(t *testing.T) *client {
	t.Helper()
	p := freePorts(t, 5)
	ci := connInfo{Transport: "tcp", IP: "127.0.0.1", ShellPort: p[0], ControlPort: p[1], StdinPort: p[2],
		IOPubPort: p[3], HBPort: p[4], Key: newID(), SignatureScheme: "hmac-sha256"}
	b, _ := json.Marshal(ci)
	cf := filepath.Join(t.TempDir(), "kernel.json")
	if err := os.WriteFile(cf, b, 0o600); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, session: newID(), ci: ci, exited: make(chan error, 1), stderr: &lockedBuffer{}}
	c.sig, _ = newSigner(ci.SignatureScheme, ci.Key)
	c.cmd = exec.Command(exe)
	c.cmd.Env = append(os.Environ(), childEnv+"="+cf)
	c.cmd.Stdout = io.Discard
	c.cmd.Stderr = c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
		}
		for _, s := range []zmq4.Socket{c.shell, c.control, c.iopub, c.hb} {
			if s != nil {
				s.Close()
			}
		}
		if t.Failed() {
			t.Logf("kernel stderr:\n%s", c.stderr.String())
		}
	})

	ctx := context.Background()
	dial := func(s zmq4.Socket, port int) zmq4.Socket {
		if err := s.Dial(ci.endpoint(port)); err != nil {
			t.Fatalf("dial %d: %v", port, err)
		}
		return s
	}
	opts := []zmq4.Option{zmq4.WithDialerRetry(50 * time.Millisecond), zmq4.WithDialerMaxRetries(400)}
	c.shell = dial(zmq4.NewDealer(ctx, opts...), ci.ShellPort)
	c.control = dial(zmq4.NewDealer(ctx, opts...), ci.ControlPort)
	c.iopub = zmq4.NewSub(ctx, opts...)
	c.iopub.SetOption(zmq4.OptionSubscribe, "")
	dial(c.iopub, ci.IOPubPort)
	c.hb = dial(zmq4.NewReq(ctx, opts...), ci.HBPort)
	c.shellIn, c.controlIn, c.iopubIn = c.reader(c.shell), c.reader(c.control), c.reader(c.iopub)

	// Wait until the kernel answers and IOPub delivers (a SUB socket
	// misses what is published before its subscription arrives).
	deadline := time.Now().Add(wait)
	for {
		id := c.send(c.shell, "kernel_info_request", map[string]interface{}{})
		if _, err := c.recvReply(c.shellIn, id, 2*time.Second); err == nil {
			if _, err := c.waitIOPub(id, "status", 2*time.Second); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("kernel did not start; stderr:\n%s", c.stderr.String())
		}
	}
	c.drain()
	return c
}

func (c *client) reader(s zmq4.Socket) chan *message {
	ch := make(chan *message, 256)
	go func() {
		for {
			msg, err := s.Recv()
			if err != nil {
				close(ch)
				return
			}
			m, err := c.sig.decode(msg.Frames)
			if err != nil {
				c.t.Errorf("client: bad message from kernel: %v", err)
				continue
			}
			ch <- m
		}
	}()
	return ch
}

// send sends a request and returns its msg_id.
func (c *client) send(s zmq4.Socket, msgType string, content interface{}) string {
	c.t.Helper()
	h := newHeader(msgType, c.session, "test")
	frames, err := c.sig.encode(nil, h, nil, nil, content)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := s.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		c.t.Fatal(err)
	}
	return h.MsgID
}

func parentID(m *message) string {
	var p header
	json.Unmarshal(m.Parent, &p)
	return p.MsgID
}

func (c *client) recvReply(ch chan *message, id string, d time.Duration) (*message, error) {
	timeout := time.After(d)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				return nil, fmt.Errorf("socket closed")
			}
			if parentID(m) == id {
				return m, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("no reply to %s within %v", id, d)
		}
	}
}

// waitIOPub returns the first IOPub message of msgType whose parent is id.
func (c *client) waitIOPub(id, msgType string, d time.Duration) (*message, error) {
	timeout := time.After(d)
	for {
		c.mu.Lock()
		for i, m := range c.backlog {
			if parentID(m) == id && m.Header.MsgType == msgType {
				c.backlog = append(c.backlog[:i], c.backlog[i+1:]...)
				c.mu.Unlock()
				return m, nil
			}
		}
		c.mu.Unlock()
		select {
		case m, ok := <-c.iopubIn:
			if !ok {
				return nil, fmt.Errorf("IOPub closed while waiting for %s", msgType)
			}
			c.mu.Lock()
			c.backlog = append(c.backlog, m)
			c.mu.Unlock()
		case <-timeout:
			return nil, fmt.Errorf("no %s for %s within %v", msgType, id, d)
		}
	}
}

// drain forgets pending IOPub messages.
func (c *client) drain() {
	for {
		select {
		case _, ok := <-c.iopubIn:
			if !ok {
				return
			}
		case <-time.After(100 * time.Millisecond):
			c.mu.Lock()
			c.backlog = nil
			c.mu.Unlock()
			return
		}
	}
}

// outputs are the IOPub messages of one request, up to its idle status.
type outputs []*message

func (o outputs) of(msgType string) []map[string]interface{} {
	var out []map[string]interface{}
	for _, m := range o {
		if m.Header.MsgType == msgType {
			var c map[string]interface{}
			json.Unmarshal(m.Content, &c)
			out = append(out, c)
		}
	}
	return out
}

func (o outputs) stdout() string {
	var b strings.Builder
	for _, s := range o.of("stream") {
		if s["name"] == "stdout" {
			b.WriteString(s["text"].(string))
		}
	}
	return b.String()
}

// collect gathers the IOPub messages of request id until its idle status.
func (c *client) collect(id string) outputs {
	c.t.Helper()
	var out outputs
	timeout := time.After(wait)
	for {
		c.mu.Lock()
		rest := c.backlog[:0:0]
		done := false
		for _, m := range c.backlog {
			if done || parentID(m) != id {
				rest = append(rest, m)
				continue
			}
			out = append(out, m)
			if m.Header.MsgType == "status" && strings.Contains(string(m.Content), `"idle"`) {
				done = true
			}
		}
		c.backlog = rest
		c.mu.Unlock()
		if done {
			return out
		}
		select {
		case m, ok := <-c.iopubIn:
			if !ok {
				c.t.Fatalf("request %s: IOPub closed before the idle status", id)
			}
			c.mu.Lock()
			c.backlog = append(c.backlog, m)
			c.mu.Unlock()
		case <-timeout:
			c.t.Fatalf("request %s: no idle status within %v; got %d messages", id, wait, len(out))
		}
	}
}

// execute runs code and returns the execute_reply content and the outputs.
func (c *client) execute(code string) (map[string]interface{}, outputs) {
	c.t.Helper()
	id := c.send(c.shell, "execute_request", map[string]interface{}{
		"code": code, "silent": false, "store_history": true, "user_expressions": map[string]interface{}{},
		"allow_stdin": false, "stop_on_error": true,
	})
	reply, err := c.recvReply(c.shellIn, id, wait)
	if err != nil {
		c.t.Fatalf("execute %q: %v", code, err)
	}
	return content(reply), c.collect(id)
}

// request sends a request on s and returns the reply's content.
func (c *client) request(s zmq4.Socket, in chan *message, msgType string, body interface{}) map[string]interface{} {
	c.t.Helper()
	id := c.send(s, msgType, body)
	reply, err := c.recvReply(in, id, wait)
	if err != nil {
		c.t.Fatalf("%s: %v", msgType, err)
	}
	c.collect(id)
	return content(reply)
}

func content(m *message) map[string]interface{} {
	var c map[string]interface{}
	json.Unmarshal(m.Content, &c)
	return c
}
