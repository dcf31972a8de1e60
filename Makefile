# TwinPlan: the two set-up commands are `make run` and `make test` (see README.md).
BUILD ?= build
JOBS ?= $(shell nproc)
CTEST = ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
SAMPLE = $(BUILD)/sample-case

.PHONY: all deps configure build run test test-headless test-all sanitize fuzz bench package format clean

all: build

deps:
	@bash scripts/setup-deps.sh
	@bash scripts/setup-test-tools.sh

$(BUILD)/build.ninja: | deps
	cmake --preset default

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

# Opens the desktop app on the bundled sample case (the abdomen phantom).
# Without a display it prints what the CLI finds and saves a headless screenshot instead.
run: build $(SAMPLE)/abdomen.twinplan
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	  $(BUILD)/app/twinplan --case $(SAMPLE)/abdomen.twinplan; \
	else \
	  $(BUILD)/app/twinplan-cli info $(SAMPLE)/dicom; \
	  $(BUILD)/app/twinplan-cli case info $(SAMPLE)/abdomen.twinplan; \
	  xvfb-run -a -s "-screen 0 1920x1200x24" $(BUILD)/app/twinplan \
	    --case $(SAMPLE)/abdomen.twinplan --screenshot $(SAMPLE)/screenshot.png; \
	  echo "No display: saved a screenshot of TwinPlan to $(SAMPLE)/screenshot.png"; \
	fi

# Made again whenever the CLI was rebuilt, so the sample case always matches the code.
$(SAMPLE)/abdomen.twinplan: $(BUILD)/app/twinplan-cli
	$(BUILD)/app/twinplan-cli phantom --kind abdomen --out $(SAMPLE)

$(BUILD)/app/twinplan-cli: build

# What CI runs: unit tests, integration tests over ../shared/data, GUI tests under Xvfb.
test: build
	$(CTEST) -L "unit|integration|gui"

# The headless configuration (preset `headless`, build-headless/): the libraries, the CLI and
# their unit and integration tests without Qt or VTK rendering, as a server or cluster node
# builds them. Configure fails if any target uses Qt or VTK rendering. CI runs it after `test`,
# so ccache already holds most objects.
HEADLESS = build-headless
test-headless: deps
	cmake --preset headless
	cmake --build $(HEADLESS) -j $(JOBS)
	ctest --test-dir $(HEADLESS) --output-on-failure -j $(JOBS) -L "unit|integration"

# Everything, including the slow, sanitizer and fuzz-smoke checks.
test-all: build
	$(CTEST)

sanitize: deps
	bash scripts/sanitize-check.sh
	bash scripts/sanitize-gui.sh

fuzz: deps
	bash scripts/fuzz.sh

bench: build
	bash bench/run.sh

package: build
	cd $(BUILD) && cpack -G DEB

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(HEADLESS)
