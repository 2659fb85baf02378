# The two commands a newcomer needs: `make demo` and `make test`.
GO ?= go
AEIR = bin/aeir

.PHONY: demo test setup setup-data build data data-64 data-check fuzz vet clean kernel notebook notebooks kernel-test site wasm web-model bench bench-web bench-adapt bench-scale

# The in-browser demo: build the site (below) and serve it. It needs Go
# alone (the go command fetches the modules of go.mod); the model it
# serves is committed in site/assets. Everything else setup installs is
# for the tests, the data build and the benchmarks.
demo: site
	$(AEIR) serve -dir $(SITE_DIR) -addr $(DEMO_ADDR)

test: setup vet data-64
	AEIR_REQUIRE_ORT=1 $(GO) test -count=1 ./...
	FUZZTIME=$${FUZZTIME:-5s} ./scripts/fuzz.sh
	$(MAKE) data-check
	$(MAKE) kernel-test notebooks

setup:
	@./scripts/setup.sh

# Only what the data build needs (npm, rsvg-convert, Go modules).
setup-data:
	@./scripts/setup.sh data

# Every side-by-side speed figure: the training step against PyTorch
# (bench/torch), t-SNE against scikit-learn, the browser engine against
# onnxruntime-web. REPS=5 for more repeats; SKIP="tsne web" for the first only.
bench: data-64
	./scripts/bench.sh

build:
	$(GO) build -buildvcs=auto -o $(AEIR) ./cmd/aeir

vet:
	$(GO) vet ./...
	cd kernel && $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }

# Rebuild VendorMoji from the pinned npm packages into data/vendormoji/files.
data: setup-data
	$(GO) run ./cmd/aeir data build

# The 64-px build the demo model reads (about a minute; not committed): its
# own manifest, written last, lists every file's SHA-256, checked on load.
# Rebuilt when the embedded set changes (its manifest is newer).
DATA64 = .cache/vendormoji-64
data-64: setup-data $(DATA64)/manifest.json
$(DATA64)/manifest.json: data/vendormoji/files/manifest.json | setup-data
	$(GO) run ./cmd/aeir data build -size 64 -out $(DATA64)

# Rebuild in a temporary directory and compare SHA-256 with the manifest.
data-check: setup-data
	$(GO) run ./cmd/aeir data check

fuzz:
	FUZZTIME=$${FUZZTIME:-30s} ./scripts/fuzz.sh

clean:
	rm -rf bin

# The Go Jupyter kernel (kernel/, its own module) and the notebooks. These
# targets install only what they need, when missing (scripts/kernel.sh:
# Go modules; python3-nbclient for notebooks), not setup's test stack.
# `make notebooks` runs every notebook in a copy and fails when its saved
# outputs are stale; `make notebooks-save` runs them and saves the outputs.
kernel:
	./scripts/kernel.sh install

notebook:
	./scripts/kernel.sh notebook

notebooks:
	./scripts/kernel.sh notebooks

.PHONY: notebooks-save
notebooks-save:
	./scripts/kernel.sh notebooks-save

kernel-test:
	./scripts/kernel.sh check-drift
	./scripts/kernel.sh test

# ---- The in-browser demo (wasm/, site/, web/) ------------------------------
# site/assets holds the exported model (committed): `make site` builds the
# WebAssembly engine and assembles $(SITE_DIR), a directory any static host
# serves as it is. To ship another model, export it from its run directory:
#   make site WEB_RUN=runs/aeir-twemoji.en-openmoji.en-deploy-s1
# (the same as `bin/aeir export web -run <run> -views 16 -out site/assets`;
# WEB_VIEWS: test-time views per gallery image, chosen on validation).
WEB_RUN ?=
WEB_VIEWS ?= 16
SITE_DIR ?= site/dist
DEMO_ADDR ?= 127.0.0.1:8080
WASM = bin/aeir.wasm

site: build wasm
	@if [ -n "$(WEB_RUN)" ]; then $(MAKE) data-64 && $(AEIR) export web -run $(WEB_RUN) -views $(WEB_VIEWS) -out site/assets; fi
	@if [ ! -f site/assets/manifest.json ]; then $(MAKE) web-model; fi
	$(AEIR) export site -out $(SITE_DIR) -wasm $(WASM) -wasm-exec "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" -q

# The engine and its SIMD kernels (bin/simd.wasm, generated from Go by
# package aeir/wasm/simd; `aeir export site` writes the same module into
# the site itself), and the user-gallery engine (bin/aeir-user.wasm:
# a visitor's own gallery and the Adapt button; downloaded when used).
wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WASM) ./wasm
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o bin/aeir-user.wasm ./wasm/user
	$(GO) run ./wasm/simd/gen -o bin/simd.wasm

# Only when no model is exported: train the supervised source-only
# baseline (about two minutes) and export it.
web-model: build
	test -f runs/web-source-only/best.aeir || $(AEIR) train -method source-only -out runs/web-source-only -q
	$(AEIR) export web -run runs/web-source-only -views $(WEB_VIEWS) -out site/assets

# Engine size, time to the first result and per-query latency (200
# queries) in headless Chromium.
bench-web: setup site
	$(GO) run ./bench/page -dir $(SITE_DIR) -queries 200

# Adapting in the page: the Noto gallery as image files, the page's Adapt
# budget, in headless Chromium, against the same steps native.
bench-adapt: setup site data-64
	$(GO) run ./bench/adapt -dir $(SITE_DIR)

# Training AEIR on synthetic precomp data of MS-COCO's size (source,
# 113,287 × 2,048 float32) and Flickr30K's (target, 29,000): disk size,
# load time, seconds per epoch, peak RSS (docs/scale.md). SCALE=0.05 for
# a quick check.
SCALE ?= 1
EPOCHS ?= 1
bench-scale:
	$(GO) run ./bench/scale -scale $(SCALE) -epochs $(EPOCHS)
