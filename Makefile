# TwinPlan: the two set-up commands are `make run` and `make test` (see README.md).
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST = ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
SAMPLE = $(BUILD)/sample-case

.PHONY: all deps configure build run test test-all sanitize fuzz bench package format clean

all: build

deps:
	@bash scripts/setup-deps.sh

$(BUILD)/build.ninja: | deps
	cmake --preset default

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Until the desktop app exists: make the bundled sample case and show what the CLI finds.
run: build
	$(BUILD)/app/twinplan-cli phantom --kind abdomen --out $(SAMPLE)
	$(BUILD)/app/twinplan-cli info $(SAMPLE)/dicom
	$(BUILD)/app/twinplan-cli case info $(SAMPLE)/abdomen.twinplan

# What CI runs: fast unit tests and the integration tests over ../shared/data.
test: build
	$(CTEST) -L "unit|integration"

# Everything, including the slow, sanitizer and fuzz-smoke checks.
test-all: build
	$(CTEST)

sanitize: deps
	bash scripts/sanitize-check.sh

fuzz: deps
	bash scripts/fuzz.sh

bench: build
	bash bench/run.sh

package: build
	cd $(BUILD) && cpack -G DEB

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
