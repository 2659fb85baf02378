package cellctx

import "testing"

func TestCancelThenRenew(t *testing.T) {
	first := Current()
	Renew() // not cancelled: kept
	if Current() != first {
		t.Fatal("Renew replaced a live context")
	}
	Cancel()
	if first.Err() == nil || Current().Err() == nil {
		t.Fatal("Cancel did not cancel the current context")
	}
	Renew()
	next := Current()
	if next.Err() != nil || next == first {
		t.Fatal("Renew did not start a fresh context after a cancel")
	}
	if first.Err() == nil {
		t.Fatal("the old context came back to life")
	}
}
