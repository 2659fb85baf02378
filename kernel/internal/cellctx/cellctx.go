// Package cellctx holds the context of the running cell: the kernel
// cancels it when the user interrupts the cell, and starts a fresh one
// for the next cell. Cells reach it through display.Context; the kernel
// through Cancel and Renew.
package cellctx

import (
	"context"
	"sync"
)

var (
	mu     sync.Mutex
	ctx    context.Context
	cancel context.CancelFunc
)

func init() { ctx, cancel = context.WithCancel(context.Background()) }

// Current returns the context of the running cell (or of the next one,
// between cells).
func Current() context.Context {
	mu.Lock()
	defer mu.Unlock()
	return ctx
}

// Cancel cancels the current context: compiled code that watches it
// (train.Trainer.RunContext, a select on Done) stops.
func Cancel() {
	mu.Lock()
	defer mu.Unlock()
	cancel()
}

// Renew replaces the current context by a fresh one if it was cancelled,
// so that an interrupt stops one cell, not every cell after it.
func Renew() {
	mu.Lock()
	defer mu.Unlock()
	if ctx.Err() != nil {
		ctx, cancel = context.WithCancel(context.Background())
	}
}
