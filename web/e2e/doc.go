// Package e2e holds the browser tests of the in-browser demo: they build
// the WebAssembly engine and the site from the repository, serve it with
// deploy.Handler and drive headless Chromium (chromedp) through it —
// search, click, keyboard, image upload, bad inputs with a responsiveness
// probe on the main thread, a user's own model, a corrupted model, and
// offline use — comparing the page's answers with the same Go code run
// natively. They skip when no Chromium is installed (scripts/setup.sh
// installs it). Screenshots go to bin/test-artifacts (or $AEIR_ARTIFACTS).
package e2e
