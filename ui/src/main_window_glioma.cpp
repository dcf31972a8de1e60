// The glioma twin in the window (issue #19 item 8): the RT panel's glioma box starts calibration
// and prediction (engine/glioma_twin.h) in the background and shows the case's stored twin.
#include <QSignalBlocker>
#include <QStatusBar>

#include "twinplan/core/error.h"
#include "twinplan/ui/background_task.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/glioma_twin_box.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/rt_panel.h"

namespace twinplan::ui {

namespace {

const Plan* gliomaTwinRecord(const Case& twin, const std::string& segment) {
  const Plan* any = nullptr;
  for (const Plan& p : twin.plans) {
    if (p.kind != engine::kGliomaTwinPlanKind) continue;
    if (p.name == engine::gliomaTwinPlanName(segment)) return &p;
    if (!any) any = &p;
  }
  return any;  // a twin of another segment: shown with its segment chosen
}

QStringList segmentNames(const Case& twin) {
  QStringList names;
  for (const LabelMap& labels : twin.labelMaps)
    for (const Segment& s : labels.segments())
      if (!names.contains(QString::fromStdString(s.name))) names << QString::fromStdString(s.name);
  return names;
}

}  // namespace

void MainWindow::connectGliomaTwin() {
  GliomaTwinBox* box = rt_->gliomaTwin();
  connect(box, &GliomaTwinBox::calibrateRequested, this, [this, box] {
    try {
      calibrateGliomaTwin(box->options());
    } catch (const std::exception& e) {
      showError(tr("Cannot calibrate the glioma twin"), e);
    }
  });
  connect(box, &GliomaTwinBox::predictRequested, this, [this, box] {
    try {
      predictGliomaTwin(box->options());
    } catch (const std::exception& e) {
      showError(tr("Cannot predict the regimens"), e);
    }
  });
  connect(box, &GliomaTwinBox::segmentChosen, this, [this] { showGliomaTwin(); });
  connect(document_, &CaseDocument::caseReplaced, this, [this] { showGliomaTwin(); });
  connect(document_, &CaseDocument::partChanged, this, [this](CasePart part) {
    if (part == CasePart::Plans || part == CasePart::LabelMaps) showGliomaTwin();
  });
  showGliomaTwin();
}

void MainWindow::showGliomaTwin() {
  const Case& twin = currentCase();
  GliomaTwinBox* box = rt_->gliomaTwin();
  const QSignalBlocker quiet(box);  // choosing the record's segment must not call back here
  box->setSegments(segmentNames(twin));
  const Plan* record = gliomaTwinRecord(twin, box->options().segment);
  if (record) {
    // The settings it was calibrated with.
    engine::GliomaTwinOptions o = box->options();
    const nlohmann::json& stored = record->parameters;
    o.segment = stored.value("segment", o.segment);
    o.oedema = stored.value("oedema", o.oedema);
    o.spacing_mm = stored.value("spacing_mm", o.spacing_mm);
    o.step_days = stored.value("step_days", o.step_days);
    box->setOptions(o);
  }
  box->showTwin(record ? &record->parameters : nullptr);
}

bool MainWindow::runGliomaTwin(
    const QString& title, const QString& done,
    const std::function<engine::GliomaTwinOutcome(const Case&, Progress&)>& work) {
  const Case snapshot = currentCase();  // the worker's own copy
  auto outcome = runInBackground<std::shared_ptr<engine::GliomaTwinOutcome>>(
      this, title, [&](Progress& progress) {
        return std::make_shared<engine::GliomaTwinOutcome>(work(snapshot, progress));
      });
  if (!outcome) return false;
  document_->apply(std::move((*outcome)->edit));
  statusBar()->showMessage(done, 15000);
  return true;
}

bool MainWindow::calibrateGliomaTwin(const engine::GliomaTwinOptions& options) {
  return runGliomaTwin(tr("Calibrating the glioma twin on the follow-up scans…"),
                       tr("Glioma twin calibrated (Undo removes it)"),
                       [options](const Case& twin, Progress& progress) {
                         return engine::calibrateGliomaTwin(twin, options, progress);
                       });
}

bool MainWindow::predictGliomaTwin(const engine::GliomaTwinOptions& options) {
  return runGliomaTwin(tr("Predicting the regimens…"),
                       tr("Regimens predicted (Undo removes the predictions)"),
                       [options](const Case& twin, Progress& progress) {
                         return engine::predictGliomaTwin(twin, options, progress);
                       });
}

}  // namespace twinplan::ui
