# The two commands a newcomer needs: `make demo` and `make test`.
GO ?= go
AEIR = bin/aeir

.PHONY: demo test setup build data data-check fuzz vet clean kernel notebook notebooks kernel-test

demo: setup
	@echo "The in-browser demo arrives with its own issue; until then \`make demo\` shows the data:"
	$(GO) run ./cmd/aeir data stats
	$(GO) run ./cmd/aeir data sheet -o sheet.png

test: setup vet
	$(GO) test -count=1 ./...
	FUZZTIME=$${FUZZTIME:-5s} ./scripts/fuzz.sh
	$(MAKE) data-check
	$(MAKE) kernel-test notebooks

setup:
	@./scripts/setup.sh

build:
	$(GO) build -o $(AEIR) ./cmd/aeir

vet:
	$(GO) vet ./...
	cd kernel && $(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo "gofmt needed"; exit 1; }

# Rebuild VendorMoji from the pinned npm packages into data/vendormoji/files.
data: setup
	$(GO) run ./cmd/aeir data build

# Rebuild in a temporary directory and compare SHA-256 with the manifest.
data-check: setup
	$(GO) run ./cmd/aeir data check

fuzz:
	FUZZTIME=$${FUZZTIME:-30s} ./scripts/fuzz.sh

clean:
	rm -rf bin

# The Go Jupyter kernel (kernel/, its own module) and the notebooks.
kernel: setup
	./scripts/kernel.sh install

notebook: setup
	./scripts/kernel.sh notebook

notebooks: setup
	./scripts/kernel.sh notebooks

kernel-test: setup
	./scripts/kernel.sh check-drift
	./scripts/kernel.sh test
