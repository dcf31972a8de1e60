// twinplan-gui-bench: how responsive the desktop application stays (DESIGN.md sections 5, 9).
//
// A real twinplan::ui::MainWindow (run it under Xvfb: bench/gui_bench.sh) does what a user
// does, while a 10 ms QTimer on the GUI thread records the gap between its firings. A gap
// above 100 ms is a GUI-thread block. For each block the program also reports
//  - the GUI thread's own CPU time inside the gap (busy computing, or waiting/descheduled),
//  - the long events (notify() with no nested event) that ran in it, by receiver and type,
//  - where the GUI thread was: stacks sampled every 40 ms by a watchdog thread (SIGPROF-like
//    signal + backtrace()), histogram of the innermost TwinPlan / VTK / Qt frames.
// Then it measures slice scrolling in the axial view, 1-up and 4-up, two ways: the view alone
// (SliceView::scrollSlices + repaint) and the user's path (Up key -> MainWindow::setCrosshair
// -> all three slice views), with a per-frame breakdown (sampling, reslice, VTK render).
//
//   twinplan-gui-bench [--work DIR] [--slices 600] [--size 512] [--frames 120] [--json FILE]
//
// The input series (a synthetic int16 CT, 0.7 x 0.7 x 1.0 mm) is written once with
// io::writeDicomSeries into DIR/ct-<size>x<size>x<slices> (default DIR /tmp/twinplan-guibench)
// and reused; the case is saved as DIR/case.twinplan. Nothing is written into the repository.
#include <cxxabi.h>
#include <execinfo.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <vtkGPUVolumeRayCastMapper.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkVolume.h>
#include <vtkVolumeCollection.h>
#include <vtkVolumeProperty.h>

#include <QAbstractButton>
#include <QApplication>
#include <QKeyEvent>
#include <QMessageBox>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLFunctions>
#include <QPushButton>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "synthetic_pet.h"
#include "twinplan/core/case_edit.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/error.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/io/dicom_writer.h"
#include "twinplan/rendering/slice_sampler.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/rendering/volume_view.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/dicom_browser.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/theme.h"
#include "twinplan/ui/volume_viewport.h"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using twinplan::rendering::SliceOrientation;

namespace {

constexpr double kBlockLimit_ms = 100.0;  // DESIGN.md section 5
constexpr int kProbeInterval_ms = 10;

std::int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}
double msSince(std::int64_t start_ns) { return (nowNs() - start_ns) / 1e6; }

std::int64_t threadCpuNs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// ---- machine load -------------------------------------------------------------------------

struct CpuTimes {
  double busy_s = 0.0, total_s = 0.0, self_s = 0.0;
};

CpuTimes cpuTimes() {
  CpuTimes t;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  t.busy_s = static_cast<double>(user + nice + system + irq + softirq + steal) / tick;
  t.total_s = t.busy_s + static_cast<double>(idle + iowait) / tick;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  t.self_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  return t;
}

std::string loadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// ---- stall sampler: stacks of the GUI thread while it does not tick -----------------------

constexpr int kMaxFrames = 48;
constexpr int kMaxSamples = 8192;
struct StackSample {
  std::int64_t t_ns = 0;
  int depth = 0;
  void* frames[kMaxFrames];
};
StackSample gSamples[kMaxSamples];
std::atomic<int> gSampleSlot{-1};  // slot the handler fills, -1 when none is asked for
std::atomic<int> gSampleCount{0};
std::atomic<std::int64_t> gLastTickNs{0};
pthread_t gGuiThread;

// backtrace() is not on POSIX's async-signal-safe list; it is safe in practice once glibc's
// unwinder is loaded (StallSampler's constructor calls it first), as sampling profilers do.
extern "C" void sampleGuiStack(int) {
  const int slot = gSampleSlot.load();
  if (slot < 0 || slot >= kMaxSamples) return;
  StackSample& s = gSamples[slot];
  s.t_ns = nowNs();
  s.depth = backtrace(s.frames, kMaxFrames);
  gSampleSlot.store(-1);
}

class StallSampler {
 public:
  StallSampler() {
    void* warm[4];
    backtrace(warm, 4);  // loads libgcc's unwinder now, not inside the signal handler
    struct sigaction action {};
    action.sa_handler = sampleGuiStack;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR2, &action, nullptr);
    gGuiThread = pthread_self();
    thread_ = std::thread([this] { run(); });
  }
  ~StallSampler() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    std::int64_t lastSample = 0;
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      const std::int64_t now = nowNs();
      const std::int64_t last = gLastTickNs.load();
      // A 10 ms timer that has not fired for 40 ms: the GUI thread is held up.
      if (last == 0 || now - last < 40'000'000 || now - lastSample < 40'000'000) continue;
      const int slot = gSampleCount.load();
      if (slot >= kMaxSamples) continue;
      gSampleSlot.store(slot);
      pthread_kill(gGuiThread, SIGUSR2);
      for (int i = 0; i < 200 && gSampleSlot.load() >= 0; ++i)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      if (gSampleSlot.exchange(-1) < 0) gSampleCount.store(slot + 1);
      lastSample = now;
    }
  }
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string frameName(void* address) {
  char** symbols = backtrace_symbols(&address, 1);
  std::string text = symbols ? symbols[0] : "?";
  std::free(symbols);
  // "binary(mangled+0x12) [0x...]" -> demangled function, or the binary's file name.
  const auto open = text.find('('), plus = text.find('+', open == std::string::npos ? 0 : open);
  if (open != std::string::npos && plus != std::string::npos && plus > open + 1) {
    const std::string mangled = text.substr(open + 1, plus - open - 1);
    int status = 0;
    char* demangled = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
    std::string name = status == 0 && demangled ? demangled : mangled;
    std::free(demangled);
    if (name.size() > 110) name = name.substr(0, 110) + "…";
    return name;
  }
  const std::string binary = text.substr(0, open);
  return "[" + fs::path(binary).filename().string() + "]";
}

bool isOurs(const std::string& name) { return name.rfind("twinplan::", 0) == 0; }
bool isVtk(const std::string& name) { return name.rfind("vtk", 0) == 0; }
bool isSampler(const std::string& name) {
  return name.find("sampleGuiStack") != std::string::npos || name.find("[libc.so") == 0 ||
         name == "backtrace";
}

// ---- notify(): long events that ran on the GUI thread --------------------------------------

struct LongEvent {
  std::int64_t start_ns = 0;
  double duration_ms = 0.0;
  std::string receiver;
  int type = 0;
};

class TimedApplication : public QApplication {
 public:
  TimedApplication(int& argc, char** argv) : QApplication(argc, argv) {}
  bool notify(QObject* receiver, QEvent* event) override {
    if (QThread::currentThread() != thread()) return QApplication::notify(receiver, event);
    const std::int64_t start = nowNs();
    const int type = event->type();
    const int outerNested = nestedCount_;
    const bool result = QApplication::notify(receiver, event);
    const double duration_ms = msSince(start);
    const bool leaf = nestedCount_ == outerNested;
    ++nestedCount_;
    if (type == QEvent::Paint) ++paints_[receiver];
    if (leaf && duration_ms >= 20.0) {
      const char* cls = receiver->metaObject()->className();
      longEvents.push_back({start, duration_ms, cls, type});
    }
    return result;
  }
  int paints(QObject* receiver) const {
    const auto it = paints_.find(receiver);
    return it == paints_.end() ? 0 : it->second;
  }
  std::vector<LongEvent> longEvents;

 private:
  long nestedCount_ = 0;
  std::map<QObject*, int> paints_;
};

// ---- the latency probe ---------------------------------------------------------------------

struct Tick {
  std::int64_t t_ns, cpu_ns;
};

struct Gap {
  double start_ms, length_ms, cpu_ms;
};

struct PhaseResult {
  std::string name;
  double duration_ms = 0.0;  // the operation itself (until the call returned)
  double observed_ms = 0.0;  // including the settle time after it
  int ticks = 0;
  double maxGap_ms = 0.0, p99Gap_ms = 0.0, p50Gap_ms = 0.0;
  int gapsOverLimit = 0;
  std::vector<Gap> blocks;  // gaps over the limit, in time order
  std::vector<LongEvent> events;
  std::vector<std::string> stackSummary;
  double otherCpu_cores = 0.0;  // other processes' CPU use during the phase
  std::string loadAverage;
  json extra = json::object();
};

class LatencyProbe {
 public:
  LatencyProbe() {
    timer_.setTimerType(Qt::PreciseTimer);
    timer_.setInterval(kProbeInterval_ms);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      const std::int64_t t = nowNs();
      gLastTickNs.store(t);
      ticks_.push_back({t, threadCpuNs()});
    });
  }
  void start() {
    ticks_.clear();
    ticks_.push_back({nowNs(), threadCpuNs()});
    gLastTickNs.store(ticks_.back().t_ns);
    timer_.start();
  }
  void stop() {
    timer_.stop();
    gLastTickNs.store(0);
    ticks_.push_back({nowNs(), threadCpuNs()});
  }
  const std::vector<Tick>& ticks() const { return ticks_; }

 private:
  QTimer timer_;
  std::vector<Tick> ticks_;
};

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size()))) - 1;
  return values[std::min(index, values.size() - 1)];
}

void waitMs(int ms) {
  QEventLoop loop;
  QTimer::singleShot(ms, &loop, &QEventLoop::quit);
  loop.exec();
}

// Runs `operation` (which may run local event loops) with the probe on, then `settle_ms` of
// plain event processing (paints the operation scheduled), and analyses the gaps.
template <class Operation>
PhaseResult measurePhase(const std::string& name, TimedApplication& app, LatencyProbe& probe,
                         int settle_ms, Operation&& operation) {
  PhaseResult r;
  r.name = name;
  app.longEvents.clear();
  const int firstSample = gSampleCount.load();
  const CpuTimes cpu0 = cpuTimes();
  probe.start();
  const std::int64_t start = nowNs();
  operation(r);
  r.duration_ms = msSince(start);
  if (settle_ms > 0) waitMs(settle_ms);
  probe.stop();
  r.observed_ms = msSince(start);
  const CpuTimes cpu1 = cpuTimes();
  const double wall_s = r.observed_ms / 1000.0;
  r.otherCpu_cores =
      std::max(0.0, ((cpu1.busy_s - cpu0.busy_s) - (cpu1.self_s - cpu0.self_s)) / wall_s);
  r.loadAverage = loadAverage();

  const auto& ticks = probe.ticks();
  std::vector<double> gaps;
  for (std::size_t i = 1; i < ticks.size(); ++i) {
    const double gap = (ticks[i].t_ns - ticks[i - 1].t_ns) / 1e6;
    gaps.push_back(gap);
    if (gap > kBlockLimit_ms) {
      r.blocks.push_back(
          {(ticks[i - 1].t_ns - start) / 1e6, gap, (ticks[i].cpu_ns - ticks[i - 1].cpu_ns) / 1e6});
    }
  }
  r.ticks = static_cast<int>(ticks.size());
  r.maxGap_ms = gaps.empty() ? 0.0 : *std::max_element(gaps.begin(), gaps.end());
  r.p99Gap_ms = percentile(gaps, 0.99);
  r.p50Gap_ms = percentile(gaps, 0.50);
  r.gapsOverLimit = static_cast<int>(r.blocks.size());
  for (const LongEvent& e : app.longEvents) {
    LongEvent copy = e;
    copy.start_ns -= start;
    r.events.push_back(copy);
  }

  // Innermost TwinPlan, VTK and other frames of the GUI thread's stacks during the stalls.
  std::map<std::string, int> ours, vtk, inner;
  const int samples = gSampleCount.load() - firstSample;
  for (int s = firstSample; s < firstSample + samples; ++s) {
    std::string firstOurs, firstVtk, firstAny;
    for (int f = 0; f < gSamples[s].depth; ++f) {
      const std::string n = frameName(gSamples[s].frames[f]);
      if (isSampler(n)) continue;
      if (firstAny.empty()) firstAny = n;
      if (firstVtk.empty() && isVtk(n)) firstVtk = n;
      if (firstOurs.empty() && isOurs(n)) firstOurs = n;
    }
    ++inner[firstAny];
    if (!firstVtk.empty()) ++vtk[firstVtk];
    ++ours[firstOurs.empty() ? "(no TwinPlan frame)" : firstOurs];
  }
  auto top = [&](const std::map<std::string, int>& counts, const char* label) {
    std::vector<std::pair<int, std::string>> sorted;
    for (const auto& [n, c] : counts) sorted.emplace_back(c, n);
    std::sort(sorted.rbegin(), sorted.rend());
    for (std::size_t i = 0; i < std::min<std::size_t>(sorted.size(), 5); ++i) {
      r.stackSummary.push_back(std::string(label) + " " + std::to_string(sorted[i].first) + "/" +
                               std::to_string(samples) + "  " + sorted[i].second);
    }
  };
  top(ours, "twinplan");
  top(vtk, "vtk     ");
  top(inner, "innermost");
  return r;
}

const char* eventName(int type) {
  switch (type) {
    case QEvent::Paint:
      return "Paint";
    case QEvent::UpdateRequest:
      return "UpdateRequest";
    case QEvent::Timer:
      return "Timer";
    case QEvent::MetaCall:
      return "MetaCall (queued call)";
    case QEvent::Resize:
      return "Resize";
    case QEvent::Show:
      return "Show";
    case QEvent::Expose:
      return "Expose";
    case QEvent::KeyPress:
      return "KeyPress";
    case QEvent::LayoutRequest:
      return "LayoutRequest";
    case QEvent::DeferredDelete:
      return "DeferredDelete";
    default:
      return nullptr;
  }
}

json toJson(const PhaseResult& r) {
  json j{{"phase", r.name},
         {"duration_ms", r.duration_ms},
         {"observed_ms", r.observed_ms},
         {"ticks", r.ticks},
         {"max_gap_ms", r.maxGap_ms},
         {"p99_gap_ms", r.p99Gap_ms},
         {"p50_gap_ms", r.p50Gap_ms},
         {"gaps_over_100ms", r.gapsOverLimit},
         {"other_processes_cpu_cores", r.otherCpu_cores},
         {"load_average", r.loadAverage},
         {"stack_summary", r.stackSummary},
         {"extra", r.extra}};
  for (const Gap& g : r.blocks)
    j["blocks"].push_back(
        {{"at_ms", g.start_ms}, {"length_ms", g.length_ms}, {"gui_cpu_ms", g.cpu_ms}});
  for (const LongEvent& e : r.events) {
    const char* name = eventName(e.type);
    j["long_events"].push_back({{"at_ms", e.start_ns / 1e6},
                                {"ms", e.duration_ms},
                                {"receiver", e.receiver},
                                {"event", name ? std::string(name) : std::to_string(e.type)}});
  }
  return j;
}

void print(const PhaseResult& r) {
  std::printf(
      "\n== %s: %.0f ms (observed %.0f ms), %d ticks, gap max %.1f ms, p99 %.1f ms, p50 %.1f ms, "
      "%d gaps > %.0f ms; other processes %.2f cores, load %s\n",
      r.name.c_str(), r.duration_ms, r.observed_ms, r.ticks, r.maxGap_ms, r.p99Gap_ms, r.p50Gap_ms,
      r.gapsOverLimit, kBlockLimit_ms, r.otherCpu_cores, r.loadAverage.c_str());
  for (const Gap& g : r.blocks)
    std::printf("   block at %8.0f ms: %7.1f ms, GUI thread on CPU %7.1f ms\n", g.start_ms,
                g.length_ms, g.cpu_ms);
  for (const LongEvent& e : r.events) {
    const char* name = eventName(e.type);
    std::printf("   event at %8.0f ms: %7.1f ms  %s -> %s\n", e.start_ns / 1e6, e.duration_ms,
                name ? name : std::to_string(e.type).c_str(), e.receiver.c_str());
  }
  for (const std::string& line : r.stackSummary) std::printf("   stack %s\n", line.c_str());
  if (!r.extra.empty()) std::printf("   %s\n", r.extra.dump().c_str());
  std::fflush(stdout);
}

// ---- the input series ----------------------------------------------------------------------

// An abdomen-like int16 CT: air, a soft-tissue body ellipse, two lungs, a spine and a liver,
// with Gaussian noise (SD 8 HU) so that the case file compresses like a real scan.
twinplan::ImageVolume syntheticCt(int size, int slices) {
  twinplan::ImageGeometry g;
  g.size = {size, size, slices};
  g.spacing_mm = twinplan::Vec3(0.7, 0.7, 1.0);
  g.direction.setIdentity();
  g.origin_lps = -0.5 * g.spacing_mm.cwiseProduct(twinplan::Vec3(size - 1, size - 1, slices - 1));
  twinplan::ImageVolume ct(g, twinplan::PixelType::Int16);
  ct.name = "CT";
  ct.unit = "HU";
  ct.dicom.modality = "CT";
  ct.dicom.patientName = "Bench^GuiResponsiveness";
  ct.dicom.patientId = "TP-GUIBENCH";
  ct.dicom.seriesDescription = "Synthetic abdomen CT " + std::to_string(size) + "x" +
                               std::to_string(size) + "x" + std::to_string(slices);
  auto voxels = ct.voxels<std::int16_t>();
  std::mt19937 random(1);
  std::normal_distribution<float> noise(0.0f, 8.0f);
  std::array<float, 4096> noiseTable;
  for (float& n : noiseTable) n = noise(random);
  std::uint32_t state = 12345;
  for (std::int64_t k = 0; k < g.size[2]; ++k) {
    for (std::int64_t j = 0; j < g.size[1]; ++j) {
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const double x = (i - (size - 1) / 2.0) * 0.7, y = (j - (size - 1) / 2.0) * 0.7;
        const double z = (k - (slices - 1) / 2.0) * 1.0;
        float hu = -1000.0f;
        if ((x * x) / (160.0 * 160.0) + (y * y) / (115.0 * 115.0) <= 1.0) {
          hu = 40.0f;
          const double lungY = y + 10.0;
          if (z > 60.0 && ((x - 70) * (x - 70) + lungY * lungY < 55.0 * 55.0 ||
                           (x + 70) * (x + 70) + lungY * lungY < 55.0 * 55.0))
            hu = -850.0f;
          if (z <= 60.0 && z > -120.0 &&
              (x - 50) * (x - 50) / 3600.0 + (y + 20) * (y + 20) / 2500.0 < 1.0)
            hu = 60.0f;
          if (x * x + (y - 80) * (y - 80) < 18.0 * 18.0) hu = 700.0f;
        }
        state = state * 1664525u + 1013904223u;
        hu += noiseTable[state >> 20];
        voxels[g.linearIndex(i, j, k)] = static_cast<std::int16_t>(std::lround(hu));
      }
    }
  }
  return ct;
}

fs::path ensureSeries(const fs::path& work, int size, int slices) {
  const fs::path folder = work / ("ct-" + std::to_string(size) + "x" + std::to_string(size) + "x" +
                                  std::to_string(slices));
  const fs::path done = fs::path(folder.string() + ".complete");
  if (fs::exists(done) && fs::exists(folder)) return folder;
  std::printf("writing the input series into %s ...\n", folder.c_str());
  std::fflush(stdout);
  const auto start = nowNs();
  fs::remove_all(folder);
  twinplan::io::DicomWriteOptions options;
  options.seriesDescription = "GUI bench CT";
  twinplan::io::writeDicomSeries(syntheticCt(size, slices), folder, options);
  std::ofstream(done) << "written by twinplan-gui-bench\n";
  std::printf("  done in %.1f s\n", msSince(start) / 1000.0);
  return folder;
}

// ---- helpers on the window -----------------------------------------------------------------

// What OpenGL the views get: a context of the same default format as theirs.
std::string glString(unsigned int name) {
  QOffscreenSurface surface;
  surface.create();
  QOpenGLContext context;
  if (!context.create() || !context.makeCurrent(&surface)) return "?";
  const auto* text = context.functions()->glGetString(name);
  std::string result = text ? reinterpret_cast<const char*>(text) : "?";
  context.doneCurrent();
  return result;
}

vtkVolume* firstVolume(twinplan::ui::VolumeViewport* viewport) {
  vtkVolumeCollection* volumes = viewport->view().renderer()->GetVolumes();
  volumes->InitTraversal();
  return volumes->GetNextVolume();
}

std::string volumeMapperMode(twinplan::ui::VolumeViewport* viewport) {
  vtkVolume* volume = firstVolume(viewport);
  auto* mapper = volume ? vtkGPUVolumeRayCastMapper::SafeDownCast(volume->GetMapper()) : nullptr;
  if (!mapper) return "?";
  return std::string("GPU ray cast (") + mapper->GetClassName() + "), image sample distance " +
         std::to_string(mapper->GetImageSampleDistance());
}

// Answers modal boxes so the benchmark goes on, and logs them: "Imported with assumptions"
// (OK), "discard unsaved changes?" (Discard).
void closeModalBoxes(std::vector<std::string>& closed) {
  auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
  if (!box) return;
  closed.push_back(box->text().toStdString());
  QAbstractButton* answer = box->button(QMessageBox::Discard);
  if (!answer) answer = box->defaultButton();
  if (answer) {
    answer->click();
  } else {
    box->accept();
  }
}

struct FrameStats {
  double mean_ms = 0.0, p50_ms = 0.0, p95_ms = 0.0, max_ms = 0.0, fps = 0.0;
  int frames = 0, painted = 0;
};

FrameStats frameStats(const std::vector<double>& times_ms, double total_ms, int painted) {
  FrameStats s;
  s.frames = static_cast<int>(times_ms.size());
  s.painted = painted;
  if (times_ms.empty()) return s;
  double sum = 0.0;
  for (double t : times_ms) sum += t;
  s.mean_ms = sum / static_cast<double>(times_ms.size());
  s.p50_ms = percentile(times_ms, 0.5);
  s.p95_ms = percentile(times_ms, 0.95);
  s.max_ms = *std::max_element(times_ms.begin(), times_ms.end());
  s.fps = 1000.0 * static_cast<double>(times_ms.size()) / total_ms;
  return s;
}

json toJson(const FrameStats& s) {
  return {{"frames", s.frames}, {"painted", s.painted}, {"fps", s.fps},      {"mean_ms", s.mean_ms},
          {"p50_ms", s.p50_ms}, {"p95_ms", s.p95_ms},   {"max_ms", s.max_ms}};
}

// Mean of `repeats` timings of `f`, in ms.
template <class F>
double meanMs(int repeats, F&& f) {
  const std::int64_t start = nowNs();
  for (int i = 0; i < repeats; ++i) f(i);
  return msSince(start) / repeats;
}

// update() and process events until `viewport` has painted. False after the timeout.
bool paintAndWait(TimedApplication& app, QWidget* viewport, double timeout_ms = 2000.0) {
  const int before = app.paints(viewport);
  const std::int64_t start = nowNs();
  viewport->update();
  while (app.paints(viewport) == before && msSince(start) < timeout_ms)
    QCoreApplication::processEvents();
  return app.paints(viewport) != before;
}

json scrollBenchmark(TimedApplication& app, twinplan::ui::MainWindow& window,
                     twinplan::ui::Layout layout, const char* layoutName, int frames) {
  using twinplan::ui::SliceViewport;
  window.setLayout(layout);
  waitMs(1500);  // layout change: resizes and first paints (the 3D view in 4-up)
  SliceViewport* axial = window.sliceViewport(SliceOrientation::Axial);
  SliceViewport* sagittal = window.sliceViewport(SliceOrientation::Sagittal);
  SliceViewport* coronal = window.sliceViewport(SliceOrientation::Coronal);
  const twinplan::ImageVolume& volume = window.currentCase().volumes.front();
  const twinplan::ImageGeometry& g = volume.geometry();
  // Start a fifth of the way up, scroll up `frames` slices.
  const twinplan::Vec3 startPoint = g.indexToLps(twinplan::Vec3(
      (g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, static_cast<double>(g.size[2] / 5)));
  json result{{"layout", layoutName},
              {"axial_viewport_px",
               {axial->width() * axial->devicePixelRatioF(),
                axial->height() * axial->devicePixelRatioF()}}};

  // Each way of scrolling starts from the same slice and times `frames` frames: `advance`
  // makes the axial view due for a paint, and a frame ends when it has painted (2 s at most).
  auto scroll = [&](const char* key, const char* label, const std::function<void()>& advance) {
    window.setCrosshair(startPoint);
    waitMs(300);
    std::vector<double> times;
    int missed = 0;
    const int paints0 = app.paints(axial);
    const std::int64_t start = nowNs();
    for (int f = 0; f < frames; ++f) {
      const std::int64_t t = nowNs();
      const int before = app.paints(axial);
      advance();
      while (app.paints(axial) == before && msSince(t) < 2000.0) QCoreApplication::processEvents();
      if (app.paints(axial) == before) ++missed;
      times.push_back(msSince(t));
    }
    const FrameStats s = frameStats(times, msSince(start), app.paints(axial) - paints0);
    result[key] = toJson(s);
    result[key]["frames_without_paint"] = missed;
    std::printf("  %s  %-38s %.1f fps (mean %.1f ms, p95 %.1f ms, %d/%d painted)\n", layoutName,
                label, s.fps, s.mean_ms, s.p95_ms, s.painted, s.frames);
  };
  // (1) The view alone: SliceView::scrollSlices(1), then the axial viewport paints.
  scroll("view_scroll_paint", "view.scrollSlices(1)+paint:", [&] {
    axial->view().scrollSlices(1);
    axial->update();
  });
  // (2) The user's path: Up key -> scrollSlices -> MainWindow::setCrosshair (all three views
  // follow; only the moved plane is resampled, when it paints) -> update().
  scroll("key_up_user_path", "Up key (user path, 3 views):", [&] {
    QKeyEvent press(QEvent::KeyPress, Qt::Key_Up, Qt::NoModifier);
    QCoreApplication::sendEvent(axial, &press);
  });
  // (3) The axial view moves and the other visible slice views only repaint (their crosshair
  // lines moved): the least the user's path can cost.
  scroll("projected_reslice_only_moved_plane", "projected (axial moves, others repaint):", [&] {
    axial->view().scrollSlices(1);
    if (sagittal->isVisible()) sagittal->update();
    if (coronal->isVisible()) coronal->update();
    axial->update();
  });

  // (4) Breakdown, each part timed alone over the same slices.
  window.setCrosshair(startPoint);
  waitMs(300);
  const int n = std::min(frames, 60);
  const double step = axial->view().sliceStep_mm();
  auto pointAt = [&](int i) -> twinplan::Vec3 {
    return startPoint + twinplan::Vec3(0, 0, step * (i + 1));
  };
  json b;
  {
    std::vector<float> pixels;
    b["sample_axial_ms"] = meanMs(n, [&](int i) {
      const auto plane = twinplan::rendering::planeCovering(g, SliceOrientation::Axial, pointAt(i));
      twinplan::rendering::sampleSlice(volume, plane, -32768.0f, pixels);
    });
    const auto sPlane =
        twinplan::rendering::planeCovering(g, SliceOrientation::Sagittal, startPoint);
    const auto cPlane =
        twinplan::rendering::planeCovering(g, SliceOrientation::Coronal, startPoint);
    b["sample_sagittal_ms"] = meanMs(
        n, [&](int) { twinplan::rendering::sampleSlice(volume, sPlane, -32768.0f, pixels); });
    b["sample_coronal_ms"] = meanMs(
        n, [&](int) { twinplan::rendering::sampleSlice(volume, cPlane, -32768.0f, pixels); });
    b["plane_px"] = {
        {"axial",
         {twinplan::rendering::planeCovering(g, SliceOrientation::Axial, startPoint).width,
          twinplan::rendering::planeCovering(g, SliceOrientation::Axial, startPoint).height}},
        {"sagittal", {sPlane.width, sPlane.height}},
        {"coronal", {cPlane.width, cPlane.height}}};
  }
  // Paint after the plane moved: resampling (SliceView samples lazily, when it renders) +
  // window/level to RGB + texture upload + VTK render + read-back + Qt's flush.
  double vtkRender_s = 0.0, repaint_ms = 0.0;
  for (int i = 0; i < n; ++i) {
    axial->view().setCrosshair(pointAt(i));
    const std::int64_t t = nowNs();
    paintAndWait(app, axial);
    repaint_ms += msSince(t);
    vtkRender_s += axial->view().renderer()->GetLastRenderTimeInSeconds();
  }
  b["repaint_after_reslice_ms"] = repaint_ms / n;
  b["vtk_renderer_render_ms"] = vtkRender_s * 1000.0 / n;
  // Paint with nothing changed: VTK render + read-back + flush, no upload.
  b["repaint_unchanged_ms"] = meanMs(n, [&](int) { paintAndWait(app, axial); });
  result["breakdown_per_frame"] = b;
  std::printf("  %s  breakdown: %s\n", layoutName, b.dump().c_str());
  std::fflush(stdout);
  return result;
}

// Fused scrolling (issue #15 item 8, docs/benchmarks-gui.md): a PET-like series (float SUV,
// 1.8 x 1.8 x 2 mm, bench/synthetic_pet.h) in its own frame of reference, registered to the CT by
// a rigid transform (2 degrees about S, 1 about L-R, (3, -2, 5) mm: a registration result) and
// fused over it in hot iron at 50 %, scrolled the same ways as the CT alone; then with a 10 mm
// MIP slab. The CT-alone figures above are the baseline of the same run.
json fusedScrollBenchmark(TimedApplication& app, twinplan::ui::MainWindow& window, int frames) {
  using namespace twinplan;
  const ImageGeometry& g = window.currentCase().volumes.front().geometry();
  const int columns = static_cast<int>(std::ceil(g.size[0] * g.spacing_mm[0] / 1.8));
  const int slices = static_cast<int>(std::ceil(g.size[2] * g.spacing_mm[2] / 2.0));
  ImageVolume pet = bench::syntheticPet(columns, slices, 160.0, 115.0, Vec3(-40, 20, 0));
  pet.dicom.frameOfReferenceUid = "2.25.1515151515";  // not the CT's: needs the registration
  const std::string ctName = window.currentCase().volumes.front().name;
  window.document()->apply(edits::addSeries(window.currentCase(), std::move(pet)));
  Registration registration;
  registration.fixedVolume = ctName;
  registration.movingVolume = window.currentCase().volumes.back().name;
  registration.method = "rigid";
  const Mat3 rotation = (Eigen::AngleAxisd(2.0 * M_PI / 180.0, Vec3::UnitZ()) *
                         Eigen::AngleAxisd(1.0 * M_PI / 180.0, Vec3::UnitX()))
                            .toRotationMatrix();
  registration.transform = SpatialTransform::rigid(rotation, Vec3(3.0, -2.0, 5.0));
  window.document()->apply(edits::setRegistration(window.currentCase(), registration));
  window.setForegroundSeries(registration.movingVolume);
  window.setForegroundWindow({5.0, 2.5});  // SUV 0-5
  ui::FusionSettings fusion = window.fusionSettings();
  fusion.opacity = 0.5;
  fusion.colourMap = "hot-iron";
  fusion.mode = "blend";
  window.setFusion(fusion);
  if (window.fusionSettings().foreground.empty())
    throw std::runtime_error("the PET series was not fused over the CT");
  // Adding the series was an edit: write its autosave copy now, or the minute timer fires
  // during a scroll, and the frame loop below waits in autosaveNow's event loop (the window
  // stays responsive there, but the loop would time the whole write as one frame).
  window.autosaveNow();
  json result;
  std::printf("\nfused: CT + PET (rigid), blend, hot iron 50%%\n");
  result["blend"] = {scrollBenchmark(app, window, ui::Layout::OneUp, "1-up", frames),
                     scrollBenchmark(app, window, ui::Layout::FourUp, "4-up", frames)};
  fusion.slab = "mip";
  fusion.slabThickness_mm = 10.0;
  window.setFusion(fusion);
  std::printf("\nfused: CT + PET (rigid), blend, MIP slab 10 mm\n");
  result["blend_mip_slab_10mm"] = {
      scrollBenchmark(app, window, ui::Layout::OneUp, "1-up", frames),
      scrollBenchmark(app, window, ui::Layout::FourUp, "4-up", frames)};
  return result;
}

struct Options {
  fs::path work = "/tmp/twinplan-guibench";
  int slices = 600;
  int size = 512;
  int frames = 120;
  fs::path json;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--work")
      o.work = value;
    else if (name == "--slices")
      o.slices = std::stoi(value);
    else if (name == "--size")
      o.size = std::stoi(value);
    else if (name == "--frames")
      o.frames = std::stoi(value);
    else if (name == "--json")
      o.json = value;
    else
      throw std::invalid_argument("unknown option " + name);
  }
  return o;
}

int run(int argc, char** argv) {
  const Options options = parse(argc, argv);
  fs::create_directories(options.work);
  const fs::path series = ensureSeries(options.work, options.size, options.slices);

  twinplan::ui::VtkViewport::setDefaultSurfaceFormat();
  TimedApplication app(argc, argv);
  twinplan::ui::applyDarkTheme(app);
  StallSampler sampler;
  LatencyProbe probe;
  json out;
  out["date_utc"] = [] {
    const std::time_t t = std::time(nullptr);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return std::string(text);
  }();
  out["input"] = {{"series", series.string()}, {"size", options.size}, {"slices", options.slices}};

  twinplan::ui::MainWindow window(options.work / "autosave");
  window.resize(1400, 900);
  window.show();
  waitMs(1000);
  out["gl"] = {{"renderer", glString(GL_RENDERER)},
               {"version", glString(GL_VERSION)},
               {"vendor", glString(GL_VENDOR)}};
  out["qt_platform"] = QGuiApplication::platformName().toStdString();
  std::printf("GL: %s | %s\n", out["gl"]["renderer"].get<std::string>().c_str(),
              out["gl"]["version"].get<std::string>().c_str());

  std::vector<std::string> closedBoxes;
  QTimer boxCloser;
  QObject::connect(&boxCloser, &QTimer::timeout, [&] { closeModalBoxes(closedBoxes); });
  boxCloser.start(200);

  std::vector<PhaseResult> phases;
  phases.push_back(
      measurePhase("idle, empty window", app, probe, 0, [](PhaseResult&) { waitMs(2000); }));
  print(phases.back());

  phases.push_back(
      measurePhase("import: scanDicom (importDicom)", app, probe, 0, [&](PhaseResult&) {
        if (!window.importDicom(series)) throw std::runtime_error("import cancelled");
      }));
  print(phases.back());
  const twinplan::io::DicomSeries* found = nullptr;
  for (const auto* s : window.dicomBrowser()->index().allSeries())
    if (s->kind == twinplan::io::SeriesKind::Volume) found = s;
  if (!found) throw std::runtime_error("no volume series found in " + series.string());
  const twinplan::io::DicomSeries toLoad = *found;

  // The GUI thread's part of loading: everything after the worker finished until the views
  // are painted; the settle time lets the first (volume) render happen.
  phases.push_back(
      measurePhase("import: loadVolume + show (loadSeries)", app, probe, 4000, [&](PhaseResult& r) {
        if (!window.loadSeries(toLoad)) throw std::runtime_error("load cancelled");
        r.extra["voxels"] = window.currentCase().volumes.front().voxelCount();
      }));
  phases.back().extra["volume_mapper"] = volumeMapperMode(window.volumeViewport());
  print(phases.back());
  out["import_total_ms"] = phases[1].duration_ms + phases[2].duration_ms;

  phases.push_back(
      measurePhase("idle, case shown (4-up)", app, probe, 0, [](PhaseResult&) { waitMs(2000); }));
  print(phases.back());

  const fs::path caseFile = options.work / "case.twinplan";
  phases.push_back(measurePhase("save case (saveCaseAs)", app, probe, 1000, [&](PhaseResult& r) {
    if (!window.saveCaseAs(caseFile)) throw std::runtime_error("save cancelled");
    r.extra["case_file_MB"] = static_cast<double>(fs::file_size(caseFile)) / 1e6;
  }));
  print(phases.back());

  phases.push_back(measurePhase("open case (openCase)", app, probe, 4000,
                                [&](PhaseResult&) { window.openCase(caseFile); }));
  print(phases.back());

  // Autosave (every minute after an edit): the snapshot copy, then a worker writes it.
  {
    twinplan::Measurement mark;  // an edit, so that there is something to autosave
    mark.kind = twinplan::Measurement::Kind::Point;
    mark.name = "Bench point";
    mark.points_lps = {window.sliceViewport(SliceOrientation::Axial)->view().crosshair()};
    mark.volumeName = window.currentCase().volumes.front().name;
    window.document()->addMeasurement(mark);
    waitMs(1000);
  }
  phases.push_back(measurePhase("autosave (autosaveNow)", app, probe, 500, [&](PhaseResult& r) {
    r.extra["written"] = window.autosaveNow();
  }));
  print(phases.back());

  // What setCase does on the GUI thread, piece by piece (public API, the same steps).
  json setCaseParts;
  {
    const twinplan::ImageVolume* image = &window.currentCase().volumes.front();
    for (auto o :
         {SliceOrientation::Axial, SliceOrientation::Sagittal, SliceOrientation::Coronal}) {
      auto* v = window.sliceViewport(o);
      const std::int64_t t = nowNs();
      v->view().setVolume(image);
      setCaseParts[std::string("SliceView::setVolume ") + twinplan::rendering::toString(o) +
                   " ms"] = msSince(t);
    }
    std::int64_t t = nowNs();
    window.setWindowLevel({400.0, 40.0});
    setCaseParts["MainWindow::setWindowLevel (3 reslices) ms"] = msSince(t);
    t = nowNs();
    window.setCrosshair(window.sliceViewport(SliceOrientation::Axial)->view().crosshair());
    setCaseParts["MainWindow::setCrosshair (3 reslices) ms"] = msSince(t);
    waitMs(500);
    t = nowNs();
    twinplan::Case caseCopy = window.currentCase();
    setCaseParts["Case copy (for reference) ms"] = msSince(t);
    t = nowNs();
    window.setCase(std::move(caseCopy));
    setCaseParts["MainWindow::setCase (whole, without paints) ms"] = msSince(t);
    // A new volume buffer: the 3D view uploads its texture again on the next paint.
    auto* volumeViewport = window.volumeViewport();
    int paints = app.paints(volumeViewport);
    t = nowNs();
    window.repaint();
    setCaseParts["MainWindow repaint after setCase (3D texture upload + render) ms"] = msSince(t);
    setCaseParts["3D view painted"] = app.paints(volumeViewport) - paints;
    waitMs(500);
    volumeViewport->view().rotate(10.0, 0.0);
    t = nowNs();
    setCaseParts["3D view painted again"] = paintAndWait(app, volumeViewport, 60000.0);
    setCaseParts["3D view repaint after a 10 degree rotation (render only) ms"] = msSince(t);
    setCaseParts["3D view size px"] = {volumeViewport->width(), volumeViewport->height()};
    setCaseParts["volume mapper"] = volumeMapperMode(volumeViewport);
    // Cheaper 3D settings, as a software-GL path could use: no shading, then also 2 mm between
    // samples along each ray (the default follows the voxel spacing).
    if (vtkVolume* volume = firstVolume(volumeViewport)) {
      volume->GetProperty()->ShadeOff();
      volumeViewport->view().rotate(10.0, 0.0);
      t = nowNs();
      setCaseParts["3D view painted, shading off"] = paintAndWait(app, volumeViewport, 60000.0);
      setCaseParts["3D view render, shading off ms"] = msSince(t);
      if (auto* mapper = vtkGPUVolumeRayCastMapper::SafeDownCast(volume->GetMapper())) {
        mapper->SetSampleDistance(2.0f);
        volumeViewport->view().rotate(10.0, 0.0);
        t = nowNs();
        setCaseParts["3D view painted, 2 mm"] = paintAndWait(app, volumeViewport, 60000.0);
        setCaseParts["3D view render, shading off, 2 mm sample distance ms"] = msSince(t);
      }
    }
    waitMs(1000);
  }
  out["set_case_parts"] = setCaseParts;
  std::printf("\nsetCase, piece by piece: %s\n", setCaseParts.dump(1).c_str());

  json scroll = json::array();
  scroll.push_back(
      scrollBenchmark(app, window, twinplan::ui::Layout::OneUp, "1-up", options.frames));
  scroll.push_back(
      scrollBenchmark(app, window, twinplan::ui::Layout::FourUp, "4-up", options.frames));
  out["scroll"] = scroll;
  out["fused_scroll"] = fusedScrollBenchmark(app, window, options.frames);

  for (const PhaseResult& r : phases) out["phases"].push_back(toJson(r));
  out["modal_boxes_closed"] = closedBoxes;
  out["load_average_end"] = loadAverage();
  if (!options.json.empty()) std::ofstream(options.json) << out.dump(2) << "\n";
  std::printf("\nload average at end: %s\n", loadAverage().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "twinplan-gui-bench: %s\n", e.what());
    return 1;
  }
}
