package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"aeir/web/deploy"
)

func serveCmd(args []string) error {
	o := deploy.DefaultServerOptions()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("dir", "site/dist", "site directory built by make site (aeir export site)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	fs.IntVar(&o.MaxConns, "max-conns", o.MaxConns, "connections served at once; more wait until one closes")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", o.IdleTimeout, "close a keep-alive connection idle this long")
	fs.DurationVar(&o.WriteTimeout, "write-timeout", o.WriteTimeout, "longest time to send one response (the largest file to the slowest client)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.MaxConns < 1 || o.IdleTimeout <= 0 || o.WriteTimeout <= 0 {
		return fmt.Errorf("-max-conns %d, -idle-timeout %v, -write-timeout %v: want positive values", o.MaxConns, o.IdleTimeout, o.WriteTimeout)
	}
	if _, err := os.Stat(filepath.Join(*dir, "index.html")); err != nil {
		return fmt.Errorf("%s has no index.html: build the site first (make site)", *dir)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v (is another server running? pass -addr 127.0.0.1:8081)", *addr, err)
	}
	fmt.Printf("AEIR demo: http://%s/  (serving %s, %d connections at once; Ctrl-C stops)\n", ln.Addr(), *dir, o.MaxConns)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return deploy.Serve(ctx, ln, *dir, o, 5*time.Second)
}
