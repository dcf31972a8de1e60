#include "twinplan/ui/case_document.h"

#include <QThreadPool>
#include <QUndoCommand>
#include <memory>
#include <utility>

namespace twinplan::ui {

// One command type for every measurement edit: it stores the list before and after. Lists
// are small (tens of entries), so whole copies keep undo simple and exact.
class MeasurementCommand : public QUndoCommand {
 public:
  MeasurementCommand(CaseDocument& document, std::vector<Measurement> after, const QString& text)
      : QUndoCommand(text),
        document_(document),
        before_(document.twin().measurements),
        after_(std::move(after)) {}
  void redo() override { document_.setMeasurements(after_); }
  void undo() override { document_.setMeasurements(before_); }

 private:
  CaseDocument& document_;
  std::vector<Measurement> before_, after_;
};

CaseDocument::CaseDocument(QObject* parent) : QObject(parent) {
  connect(&undoStack_, &QUndoStack::cleanChanged, this,
          [this](bool clean) { emit modifiedChanged(!clean); });
}

void CaseDocument::reset(Case twin, std::filesystem::path file) {
  auto previous = std::make_shared<Case>(std::exchange(case_, std::move(twin)));
  file_ = std::move(file);
  undoStack_.clear();
  undoStack_.setClean();
  ++revision_;
  autosaveRevision_ = revision_;
  emit caseReplaced();
  emit measurementsChanged();
  // Handing a 300 MB volume back to the system takes tens of milliseconds: not on the GUI
  // thread. The views were re-pointed to the new case above.
  QThreadPool::globalInstance()->start([previous]() mutable { previous.reset(); });
}

void CaseDocument::markSaved(const std::filesystem::path& file) {
  file_ = file;
  undoStack_.setClean();
}

void CaseDocument::setMeasurements(std::vector<Measurement> measurements) {
  case_.measurements = std::move(measurements);
  ++revision_;
  emit measurementsChanged();
}

void CaseDocument::addMeasurement(Measurement measurement) {
  auto after = case_.measurements;
  const QString text = tr("Add %1").arg(QString::fromStdString(measurement.name));
  after.push_back(std::move(measurement));
  undoStack_.push(new MeasurementCommand(*this, std::move(after), text));
}

void CaseDocument::removeMeasurement(std::size_t index) {
  if (index >= case_.measurements.size()) return;
  auto after = case_.measurements;
  const QString text = tr("Delete %1").arg(QString::fromStdString(after[index].name));
  after.erase(after.begin() + static_cast<std::ptrdiff_t>(index));
  undoStack_.push(new MeasurementCommand(*this, std::move(after), text));
}

void CaseDocument::replaceMeasurement(std::size_t index, Measurement measurement) {
  if (index >= case_.measurements.size()) return;
  auto after = case_.measurements;
  const QString text = tr("Edit %1").arg(QString::fromStdString(measurement.name));
  after[index] = std::move(measurement);
  undoStack_.push(new MeasurementCommand(*this, std::move(after), text));
}

std::string CaseDocument::nextMeasurementName(Measurement::Kind kind) const {
  static const char* const kNames[] = {"Point", "Ruler", "Angle", "Box ROI", "Ellipse ROI"};
  const std::string base = kNames[static_cast<int>(kind)];
  for (int n = 1;; ++n) {
    const std::string name = base + " " + std::to_string(n);
    bool used = false;
    for (const auto& m : case_.measurements) used = used || m.name == name;
    if (!used) return name;
  }
}

}  // namespace twinplan::ui
