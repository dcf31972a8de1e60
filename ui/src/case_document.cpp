#include "twinplan/ui/case_document.h"

#include <QAction>
#include <QThreadPool>
#include <utility>

namespace twinplan::ui {

namespace {
DisplayedItem itemOf(CaseDocument::Shown what) {
  return what == CaseDocument::Shown::Mesh ? DisplayedItem::Mesh : DisplayedItem::Segment;
}
}  // namespace

CaseDocument::CaseDocument(QObject* parent) : QObject(parent) {
  editor_.subscribe([this](const CaseChange& change) { forward(change); });
}

CaseDocument::~CaseDocument() = default;

void CaseDocument::forward(const CaseChange& change) {
  switch (change.part) {
    case CasePart::Whole:
      emit caseReplaced();
      emit measurementsChanged();
      break;
    case CasePart::Measurements:
      emit measurementsChanged();
      break;
    case CasePart::Meshes:
      emit meshesChanged();
      break;
    case CasePart::MeshDisplay:
      emit displayChanged(Shown::Mesh, change.index);
      break;
    case CasePart::SegmentDisplay:
      if (change.labelMap == 0) emit displayChanged(Shown::Segment, change.index);
      break;
    case CasePart::LabelMaps:
      if (!change.voxelCountDelta.empty()) emit labelVoxelsChanged(change);
      break;
    case CasePart::History:
      if (editor_.isModified() != wasModified_) {
        wasModified_ = editor_.isModified();
        emit modifiedChanged(wasModified_);
      }
      emit historyChanged();
      return;
    default:
      break;
  }
  emit partChanged(change.part);
}

void CaseDocument::reset(Case twin, std::filesystem::path file) {
  file_ = std::move(file);
  auto previous = std::make_shared<Case>(editor_.reset(std::move(twin)));
  autosaveRevision_ = editor_.revision();
  // Handing a 300 MB volume back to the system takes tens of milliseconds: not on the GUI
  // thread. The views were re-pointed to the new case above.
  QThreadPool::globalInstance()->start([previous]() mutable { previous.reset(); });
}

void CaseDocument::markSaved(const std::filesystem::path& file) {
  file_ = file;
  editor_.markClean();
}

QAction* CaseDocument::createHistoryAction(QObject* parent, const QString& prefix, bool undo) {
  auto* action = new QAction(prefix, parent);
  connect(action, &QAction::triggered, this, undo ? &CaseDocument::undo : &CaseDocument::redo);
  auto update = [this, action, prefix, undo] {
    action->setEnabled(undo ? editor_.canUndo() : editor_.canRedo());
    const QString text = QString::fromStdString(undo ? editor_.undoText() : editor_.redoText());
    action->setText(text.isEmpty() ? prefix : prefix + " " + text);
  };
  connect(this, &CaseDocument::historyChanged, action, update);
  update();
  return action;
}

void CaseDocument::addMeasurement(Measurement measurement) {
  apply(edits::addMeasurement(twin(), std::move(measurement)));
}

void CaseDocument::removeMeasurement(std::size_t index) {
  if (index < twin().measurements.size()) apply(edits::removeMeasurement(twin(), index));
}

void CaseDocument::replaceMeasurement(std::size_t index, Measurement measurement) {
  if (index < twin().measurements.size())
    apply(edits::replaceMeasurement(twin(), index, std::move(measurement)));
}

std::string CaseDocument::nextMeasurementName(Measurement::Kind kind) const {
  static const char* const kNames[] = {"Point", "Ruler", "Angle", "Box ROI", "Ellipse ROI"};
  const std::string base = kNames[static_cast<int>(kind)];
  for (int n = 1;; ++n) {
    const std::string name = base + " " + std::to_string(n);
    bool used = false;
    for (const auto& m : twin().measurements) used = used || m.name == name;
    if (!used) return name;
  }
}

void CaseDocument::updateSegmentMeshes(std::vector<SurfaceMesh> built) {
  apply(edits::updateSegmentMeshes(twin(), std::move(built)));
}

CaseDocument::Display CaseDocument::display(Shown what, std::size_t index) const {
  return edits::displayOf(twin(), itemOf(what), index);
}

void CaseDocument::setDisplay(Shown what, std::size_t index, const Display& display,
                              bool continuing) {
  if (this->display(what, index) == display) return;
  apply(edits::setDisplay(twin(), itemOf(what), index, display, continuing));
}

}  // namespace twinplan::ui
