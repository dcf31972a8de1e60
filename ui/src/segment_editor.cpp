// The Segment Editor dock: widgets, keys and the brush strokes. The seeded tools' and effects'
// previews are in segment_editor_preview.cpp.
#include "twinplan/ui/segment_editor.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "twinplan/core/error.h"
#include "twinplan/core/parallel.h"
#include "twinplan/core/segment_edits.h"
#include "twinplan/segmentation/seeded.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"

namespace twinplan::ui {

using segmentation::BrushAction;
using segmentation::EditableArea;
using segmentation::SegmentTool;

namespace {

constexpr double kMinRadius_mm = 0.5, kMaxRadius_mm = 100.0;
// One wheel notch or one [ / ] press scales the brush by 10 %: about 7 steps double it, as
// 3D Slicer's Paint effect does with Shift+wheel.
constexpr double kRadiusStep = 1.1;

// Colours of new segments, in turn: distinct hues that read on grey CT/MR and against each
// other (3D Slicer's default segment colours follow the same idea; these are our own).
const Rgb kNewSegmentColours[] = {{230, 120, 80},  {80, 180, 230}, {120, 220, 100}, {230, 200, 60},
                                  {200, 100, 220}, {60, 200, 180}, {240, 90, 140}};

struct ToolInfo {
  SegmentEditor::EditorTool tool;
  const char* name;
  const char* key;
  const char* tip;
};
const ToolInfo kTools[] = {
    {SegmentEditor::EditorTool::Paint, "Paint", "P",
     "Drag in a 2D view to paint the segment with the brush"},
    {SegmentEditor::EditorTool::Erase, "Erase", "E", "Drag in a 2D view to erase the segment"},
    {SegmentEditor::EditorTool::ThresholdPaint, "Threshold paint", "T",
     "Paint only voxels whose intensity lies in the range (highlighted)"},
    {SegmentEditor::EditorTool::RegionGrow, "Region grow", "G",
     "Click seeds: the connected voxels in the intensity range"},
    {SegmentEditor::EditorTool::FastMarching, "Fast marching", "F",
     "Click seeds: the front from the seeds, stopped by edges"},
    {SegmentEditor::EditorTool::Watershed, "Watershed", "W",
     "Click seeds in the segment, Shift+click background seeds"},
    {SegmentEditor::EditorTool::GeodesicContour, "Geodesic contour", "C",
     "Click seeds: an active contour grown from them to the edges"},
    {SegmentEditor::EditorTool::Effect, "Effects", "X",
     "Islands, margin, smoothing, holes, fill between slices, logical operations"},
};

struct EffectInfo {
  const char* name;
  SegmentTool tool;
  const char* size;  // what the number means, empty when none
  segmentation::LogicalOperation logical = segmentation::LogicalOperation::Union;
};
const EffectInfo kEffects[] = {
    {"Keep largest island", SegmentTool::KeepLargestIsland, ""},
    {"Remove small islands", SegmentTool::RemoveSmallIslands, "Smallest island (mm³)"},
    {"Split islands", SegmentTool::SplitIslands, ""},
    {"Grow margin", SegmentTool::Grow, "Margin (mm)"},
    {"Shrink margin", SegmentTool::Shrink, "Margin (mm)"},
    {"Hollow", SegmentTool::Hollow, "Shell (mm)"},
    {"Smooth (opening)", SegmentTool::Open, "Radius (mm)"},
    {"Smooth (closing)", SegmentTool::Close, "Radius (mm)"},
    {"Smooth (Gaussian)", SegmentTool::Smooth, "Sigma (mm)"},
    {"Smooth (median)", SegmentTool::Median, "Radius (mm)"},
    {"Fill holes", SegmentTool::FillHoles, ""},
    {"Fill between slices", SegmentTool::FillBetweenSlices, ""},
    {"Add segment (union)", SegmentTool::Logical, ""},
    {"Subtract segment", SegmentTool::Logical, "", segmentation::LogicalOperation::Subtract},
    {"Intersect with segment", SegmentTool::Logical, "", segmentation::LogicalOperation::Intersect},
};

// A voxel edit of the editor (a stroke, an applied preview) that takes in the 3D model updates
// that follow it, so that undo and redo keep the models in step with the voxels.
class ModelsFollowing;
class VoxelEdit : public CaseEdit {
 public:
  explicit VoxelEdit(std::unique_ptr<CaseEdit> voxels) : voxels_(std::move(voxels)) {}
  std::string text() const override { return voxels_->text(); }
  void apply(Case& twin) override {
    voxels_->apply(twin);
    for (auto& models : models_) models->apply(twin);
  }
  void revert(Case& twin) override {
    for (auto m = models_.rbegin(); m != models_.rend(); ++m) (*m)->revert(twin);
    voxels_->revert(twin);
  }
  std::vector<CaseChange> changes() const override {
    auto all = voxels_->changes();
    for (const auto& models : models_) {
      const auto more = models->changes();
      all.insert(all.end(), more.begin(), more.end());
    }
    return all;
  }
  bool mergeWith(const CaseEdit& next) override;

 private:
  std::unique_ptr<CaseEdit> voxels_;
  std::vector<std::shared_ptr<CaseEdit>> models_;
};

class ModelsFollowing : public CaseEdit {
 public:
  explicit ModelsFollowing(std::unique_ptr<CaseEdit> meshes) : meshes_(std::move(meshes)) {}
  std::string text() const override { return meshes_->text(); }
  void apply(Case& twin) override { meshes_->apply(twin); }
  void revert(Case& twin) override { meshes_->revert(twin); }
  std::vector<CaseChange> changes() const override { return meshes_->changes(); }
  const std::shared_ptr<CaseEdit>& meshes() const { return meshes_; }

 private:
  std::shared_ptr<CaseEdit> meshes_;
};

bool VoxelEdit::mergeWith(const CaseEdit& next) {
  const auto* models = dynamic_cast<const ModelsFollowing*>(&next);
  if (!models) return false;
  models_.push_back(models->meshes());  // already applied to the case
  return true;
}

}  // namespace

std::unique_ptr<CaseEdit> modelsFollowingEdit(std::unique_ptr<CaseEdit> meshesEdit) {
  return std::make_unique<ModelsFollowing>(std::move(meshesEdit));
}

std::unique_ptr<CaseEdit> voxelEdit(std::unique_ptr<CaseEdit> edit) {
  return std::make_unique<VoxelEdit>(std::move(edit));
}

SegmentEditor::SegmentEditor(CaseDocument* document, std::array<SliceViewport*, 3> views,
                             std::function<const ImageVolume*()> sourceVolume, QWidget* parent)
    : QWidget(parent), document_(document), views_(views), sourceVolume_(std::move(sourceVolume)) {
  setObjectName("segmentEditor");
  buildWidgets();
  buildActions();
  connectViews();
  auto caseChanged = [this] {
    // Whatever was previewed was made from the case as it was.
    stroke_.reset();
    preview_.reset();
    previewChanged_ = 0;
    refreshSegments();
    updateThresholdHighlight();
    showCaseLabels();
    refreshToolPage();
  };
  connect(document_, &CaseDocument::caseReplaced, this, caseChanged);
  connect(document_, &CaseDocument::partChanged, this, [this, caseChanged](CasePart part) {
    if (part == CasePart::LabelMaps || part == CasePart::Volumes) caseChanged();
  });
  refreshSegments();
  refreshToolPage();
}

SegmentEditor::~SegmentEditor() = default;

// ---- widgets -------------------------------------------------------------------------------

void SegmentEditor::buildWidgets() {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);

  auto* segmentRow = new QHBoxLayout;
  segments_ = new QComboBox(this);
  segments_->setObjectName("editedSegment");
  segments_->setToolTip(tr("The segment the tools edit"));
  segmentRow->addWidget(segments_, 1);
  connect(segments_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (previewing() && labelMap() != previewMap_) cancelPreview();
    refreshMaskingChoices();
    if (const auto chosen = segment(); index >= 0 && chosen)
      emit segmentChosen(labelMap(), *chosen);
    updateThresholdHighlight();
  });
  auto* add = new QPushButton(tr("Add segment"), this);
  add->setObjectName("addSegment");
  connect(add, &QPushButton::clicked, this, [this] {
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Add segment"), tr("Name:"),
                                               QLineEdit::Normal, tr("Segment"), &ok);
    if (!ok || name.trimmed().isEmpty()) return;
    try {
      addSegment(name.trimmed().toStdString());
    } catch (const std::exception& e) {
      say(QString::fromUtf8(e.what()));
    }
  });
  segmentRow->addWidget(add);
  layout->addLayout(segmentRow);

  auto* toolGrid = new QGroupBox(tr("Tool"), this);
  auto* toolLayout = new QGridLayout(toolGrid);
  int slot = 0;
  for (const ToolInfo& info : kTools) {
    auto* button = new QPushButton(QString("%1 (%2)").arg(tr(info.name), info.key), toolGrid);
    button->setObjectName(QString("tool%1").arg(info.key));
    button->setCheckable(true);
    button->setToolTip(QString("%1 (%2)").arg(tr(info.tip), info.key));
    button->setFocusPolicy(Qt::NoFocus);  // the keys stay with the views
    connect(button, &QPushButton::clicked, this,
            [this, tool = info.tool](bool on) { setTool(on ? tool : EditorTool::None); });
    toolLayout->addWidget(button, slot / 2, slot % 2);
    ++slot;
  }
  layout->addWidget(toolGrid);

  auto* brushBox = new QGroupBox(tr("Brush"), this);
  brushBox->setObjectName("brushOptions");
  auto* brushForm = new QFormLayout(brushBox);
  radius_ = new QDoubleSpinBox(brushBox);
  radius_->setObjectName("brushRadius");
  radius_->setRange(kMinRadius_mm, kMaxRadius_mm);
  radius_->setDecimals(1);
  radius_->setValue(5.0);
  radius_->setSuffix(tr(" mm"));
  radius_->setToolTip(tr("Brush radius in mm (Shift+wheel in a view, [ and ])"));
  brushForm->addRow(tr("Radius"), radius_);
  sphere_ = new QCheckBox(tr("Sphere brush (3D)"), brushBox);
  sphere_->setObjectName("sphereBrush");
  sphere_->setToolTip(tr("Paint a ball instead of a disk in the slice (S)"));
  sphere_->setFocusPolicy(Qt::NoFocus);
  brushForm->addRow(sphere_);
  layout->addWidget(brushBox);

  auto* rangeBox = new QGroupBox(tr("Intensity range"), this);
  rangeBox->setObjectName("rangeOptions");
  auto* rangeForm = new QFormLayout(rangeBox);
  huPreset_ = new QComboBox(rangeBox);
  huPreset_->setObjectName("huPreset");
  huPreset_->setFocusPolicy(Qt::NoFocus);
  for (auto preset : {segmentation::HuPreset::Air, segmentation::HuPreset::Lung,
                      segmentation::HuPreset::Fat, segmentation::HuPreset::SoftTissue,
                      segmentation::HuPreset::Bone, segmentation::HuPreset::ContrastVessel})
    huPreset_->addItem(QString::fromUtf8(std::string(segmentation::toString(preset)).c_str()),
                       static_cast<int>(preset));
  huPreset_->setToolTip(tr("CT ranges of the threshold tool (HU)"));
  rangeForm->addRow(tr("CT preset"), huPreset_);
  min_ = new QDoubleSpinBox(rangeBox);
  max_ = new QDoubleSpinBox(rangeBox);
  min_->setObjectName("rangeMin");
  max_->setObjectName("rangeMax");
  for (auto* box : {min_, max_}) {
    box->setRange(-32768.0, 65535.0);  // int16 CT to uint16 MR
    box->setDecimals(1);
  }
  const auto soft = segmentation::huRange(segmentation::HuPreset::SoftTissue);
  huPreset_->setCurrentIndex(3);
  min_->setValue(soft.low_HU);
  max_->setValue(soft.high_HU);
  rangeForm->addRow(tr("Minimum"), min_);
  rangeForm->addRow(tr("Maximum"), max_);
  connect(huPreset_, &QComboBox::activated, this, [this](int index) {
    const auto range = segmentation::huRange(
        static_cast<segmentation::HuPreset>(huPreset_->itemData(index).toInt()));
    setIntensityRange(range.low_HU, range.high_HU);
  });
  auto rangeEdited = [this] {
    if (tool_ == EditorTool::ThresholdPaint) {
      updateThresholdHighlight();
    } else if (isSeeded(tool_) && !seeds_.empty()) {
      preview(false);  // live: on the seed's slice
    }
  };
  connect(min_, &QDoubleSpinBox::editingFinished, this, rangeEdited);
  connect(max_, &QDoubleSpinBox::editingFinished, this, rangeEdited);
  layout->addWidget(rangeBox);

  auto* effectBox = new QGroupBox(tr("Effect"), this);
  effectBox->setObjectName("effectOptions");
  auto* effectForm = new QFormLayout(effectBox);
  effectKind_ = new QComboBox(effectBox);
  effectKind_->setObjectName("effectKind");
  effectKind_->setFocusPolicy(Qt::NoFocus);
  for (const EffectInfo& e : kEffects) effectKind_->addItem(tr(e.name));
  effectForm->addRow(tr("Effect"), effectKind_);
  effectSize_ = new QDoubleSpinBox(effectBox);
  effectSize_->setObjectName("effectSize");
  effectSize_->setRange(0.0, 1e6);
  effectSize_->setValue(3.0);
  effectForm->addRow(tr("Size"), effectSize_);
  otherSegment_ = new QComboBox(effectBox);
  otherSegment_->setObjectName("otherSegment");
  effectForm->addRow(tr("Other segment"), otherSegment_);
  layout->addWidget(effectBox);
  // The number's label says what it is for the chosen effect ("Margin (mm)"); an effect without
  // a number or another segment leaves those fields off.
  auto showEffectFields = [this, effectForm](int index) {
    const EffectInfo& effect = kEffects[std::max(index, 0)];
    const bool sized = *effect.size != '\0';
    if (auto* label = qobject_cast<QLabel*>(effectForm->labelForField(effectSize_)))
      label->setText(sized ? tr(effect.size) : tr("Size"));
    effectSize_->setEnabled(sized);
    otherSegment_->setEnabled(effect.tool == SegmentTool::Logical);
  };
  connect(effectKind_, &QComboBox::currentIndexChanged, this, showEffectFields);
  showEffectFields(0);

  auto* maskBox = new QGroupBox(tr("Masking"), this);
  auto* maskForm = new QFormLayout(maskBox);
  maskInside_ = new QComboBox(maskBox);
  maskInside_->setObjectName("maskInside");
  maskInside_->setToolTip(tr("Edit only inside this segment"));
  maskForm->addRow(tr("Editable area"), maskInside_);
  maskRange_ = new QCheckBox(tr("Only intensities in"), maskBox);
  maskRange_->setObjectName("maskRange");
  maskMin_ = new QDoubleSpinBox(maskBox);
  maskMax_ = new QDoubleSpinBox(maskBox);
  for (auto* box : {maskMin_, maskMax_}) {
    box->setRange(-32768.0, 65535.0);
    box->setDecimals(1);
  }
  maskMin_->setValue(-1000.0);
  maskMax_->setValue(3000.0);
  auto* maskRow = new QHBoxLayout;
  maskRow->addWidget(maskMin_);
  maskRow->addWidget(maskMax_);
  maskForm->addRow(maskRange_, maskRow);
  layout->addWidget(maskBox);

  auto* buttons = new QHBoxLayout;
  previewButton_ = new QPushButton(tr("Preview"), this);
  applyButton_ = new QPushButton(tr("Apply"), this);
  cancelButton_ = new QPushButton(tr("Cancel"), this);
  previewButton_->setObjectName("previewEdit");
  applyButton_->setObjectName("applyEdit");
  cancelButton_->setObjectName("cancelEdit");
  previewButton_->setToolTip(tr("Show the result on the whole volume before applying it"));
  applyButton_->setToolTip(tr("Store the previewed result (Enter); Ctrl+Z undoes it"));
  cancelButton_->setToolTip(tr("Drop the preview (Esc)"));
  for (auto* b : {previewButton_, applyButton_, cancelButton_}) {
    b->setFocusPolicy(Qt::NoFocus);
    buttons->addWidget(b);
  }
  connect(previewButton_, &QPushButton::clicked, this, [this] { preview(true); });
  connect(applyButton_, &QPushButton::clicked, this, [this] { applyPreview(); });
  connect(cancelButton_, &QPushButton::clicked, this, [this] { cancelPreview(); });
  layout->addLayout(buttons);

  message_ = new QLabel(this);
  message_->setObjectName("editorMessage");
  message_->setWordWrap(true);
  layout->addWidget(message_);
  layout->addStretch(1);
}

namespace {
// The 3D view has keys of its own (C: clipping box, [ and ]: its size) that the editor's window
// shortcuts would take away: while it has the keyboard they go to it.
bool keyBelongsTo3DView(QAction* action) {
  auto* volume = qobject_cast<VolumeViewport*>(QApplication::focusWidget());
  const QKeySequence key = action->shortcut();
  if (!volume || key.isEmpty()) return false;
  const int code = key[0].key();
  if (code != Qt::Key_C && code != Qt::Key_BracketLeft && code != Qt::Key_BracketRight)
    return false;
  // Disabled while the key is delivered, so that it reaches the view, not this shortcut again.
  action->setEnabled(false);
  QKeyEvent press(QEvent::KeyPress, code, Qt::NoModifier, key.toString());
  QApplication::sendEvent(volume, &press);
  action->setEnabled(true);
  return true;
}
}  // namespace

void SegmentEditor::buildActions() {
  for (const ToolInfo& info : kTools) {
    auto* action = new QAction(tr(info.name), this);
    action->setObjectName(QString("editorTool%1").arg(info.key));
    action->setShortcut(QKeySequence(info.key));
    action->setCheckable(true);
    connect(action, &QAction::triggered, this, [this, action, tool = info.tool] {
      if (keyBelongsTo3DView(action)) {
        action->setChecked(tool_ == tool);
        return;
      }
      setTool(tool_ == tool ? EditorTool::None : tool);
    });
    actions_.push_back(action);
    toolActions_.push_back(action);
  }
  auto addAction = [this](const char* name, QList<QKeySequence> keys, auto slot) {
    auto* action = new QAction(tr(name), this);
    action->setShortcuts(keys);
    connect(action, &QAction::triggered, this, [action, slot] { slot(action); });
    actions_.push_back(action);
  };
  addAction("Sphere brush", {QKeySequence("S")},
            [this](QAction*) { setSphereBrush(!sphereBrush()); });
  addAction("Larger brush", {QKeySequence("]")}, [this](QAction* action) {
    if (!keyBelongsTo3DView(action)) changeRadius(kRadiusStep);
  });
  addAction("Smaller brush", {QKeySequence("[")}, [this](QAction* action) {
    if (!keyBelongsTo3DView(action)) changeRadius(1.0 / kRadiusStep);
  });
  addAction("Cancel preview", {QKeySequence(Qt::Key_Escape)}, [this](QAction*) {
    if (previewing() || !seeds_.empty()) {
      cancelPreview();
    } else {
      setTool(EditorTool::None);
    }
  });
  addAction("Apply preview", {QKeySequence(Qt::Key_Return), QKeySequence(Qt::Key_Enter)},
            [this](QAction*) {
              if (!previewing()) preview(true);
              if (previewing()) applyPreview();
            });
  setKeysEnabled(false);
}

void SegmentEditor::setKeysEnabled(bool enabled) {
  for (QAction* action : actions_) action->setEnabled(enabled);
}

void SegmentEditor::connectViews() {
  for (SliceViewport* view : views_) {
    connect(view, &SliceViewport::editPressed, this,
            [this, view](const Vec3& p_lps, Qt::KeyboardModifiers modifiers) {
              if (isBrush(tool_)) {
                beginStroke(*view, p_lps);
              } else if (isSeeded(tool_)) {
                seedView_ = view;
                addSeed(p_lps, modifiers & Qt::ShiftModifier);
              }
            });
    connect(view, &SliceViewport::editDragged, this, [this](const Vec3& p) { continueStroke(p); });
    connect(view, &SliceViewport::editReleased, this, [this] { endStroke(); });
    connect(view, &SliceViewport::editHovered, this, [this, view](const Vec3& p, bool inside) {
      showBrushOutline(view, inside ? std::optional<Vec3>(p) : std::nullopt);
    });
    connect(view, &SliceViewport::editWheel, this,
            [this](int notches) { changeRadius(std::pow(kRadiusStep, notches)); });
  }
}

// ---- state ---------------------------------------------------------------------------------

bool SegmentEditor::isBrush(EditorTool tool) const {
  return tool == EditorTool::Paint || tool == EditorTool::Erase ||
         tool == EditorTool::ThresholdPaint;
}

bool SegmentEditor::isSeeded(EditorTool tool) const {
  return tool == EditorTool::RegionGrow || tool == EditorTool::FastMarching ||
         tool == EditorTool::Watershed || tool == EditorTool::GeodesicContour;
}

void SegmentEditor::setTool(EditorTool tool) {
  if (tool != tool_ && (previewing() || !seeds_.empty())) cancelPreview();
  tool_ = tool;
  for (std::size_t n = 0; n < toolActions_.size(); ++n)
    toolActions_[n]->setChecked(kTools[n].tool == tool);
  for (const ToolInfo& info : kTools)
    if (auto* button = findChild<QPushButton*>(QString("tool%1").arg(info.key)))
      button->setChecked(info.tool == tool);
  for (SliceViewport* view : views_) view->setEditMode(tool != EditorTool::None);
  if (!isBrush(tool)) showBrushOutline(nullptr, std::nullopt);
  updateThresholdHighlight();
  showCaseLabels();
  refreshToolPage();
  emit toolChanged(tool);
}

// The segments combo holds every segment of every label map; each item's data is its
// (label map, segment) pair.
std::optional<std::size_t> SegmentEditor::segment() const {
  const Case& twin = document_->twin();
  const QVariant data = segments_->currentData();
  if (!data.isValid()) return std::nullopt;
  const QPoint ref = data.toPoint();
  const auto map = static_cast<std::size_t>(ref.x()), index = static_cast<std::size_t>(ref.y());
  if (map >= twin.labelMaps.size() || index >= twin.labelMaps[map].segments().size())
    return std::nullopt;
  return index;
}

std::size_t SegmentEditor::labelMap() const {
  const QVariant data = segments_->currentData();
  return data.isValid() ? static_cast<std::size_t>(data.toPoint().x()) : 0;
}

void SegmentEditor::selectSegment(std::size_t index, std::size_t labelMap) {
  const int item = segments_->findData(QPoint(static_cast<int>(labelMap), static_cast<int>(index)));
  if (item >= 0) segments_->setCurrentIndex(item);
}

std::size_t SegmentEditor::addSegment(const std::string& name) {
  const Case& twin = document_->twin();
  Segment segment;
  segment.name = name;
  if (!twin.labelMaps.empty()) {
    // A new value in the first layer (segments drawn by hand are exclusive, like Slicer's),
    // as a change of the segment table alone: the layers stay unshared, so the first stroke
    // writes into them without copying one (edits::addSegment).
    const std::size_t map = labelMap();
    const std::size_t index = twin.labelMaps[map].segments().size();
    segment.colour = kNewSegmentColours[index % std::size(kNewSegmentColours)];
    document_->apply(edits::addSegment(twin, map, segment));
    selectSegment(index, map);
    return index;
  }
  const ImageVolume* source = sourceVolume_();
  if (!source) {
    throw Error(ErrorKind::InvalidInput,
                "There is no image to segment; open a series before adding a segment.");
  }
  LabelMap labels(source->geometry());
  labels.name = "Segmentation";
  segment.colour = kNewSegmentColours[0];
  const std::size_t index = labels.addSegment(segment);
  document_->apply(edits::replaceLabelMaps(twin, {std::move(labels)}, "Add segment " + name));
  selectSegment(index, 0);
  return index;
}

void SegmentEditor::setBrushRadius_mm(double radius_mm) {
  radius_->setValue(std::clamp(radius_mm, kMinRadius_mm, kMaxRadius_mm));
  for (SliceViewport* view : views_) {
    if (!view->view().brushCentre()) continue;
    view->view().setBrushOutline(view->view().brushCentre(), brushRadius_mm());
    view->update();
  }
}

double SegmentEditor::brushRadius_mm() const { return radius_->value(); }

void SegmentEditor::changeRadius(double factor) { setBrushRadius_mm(brushRadius_mm() * factor); }

void SegmentEditor::setSphereBrush(bool sphere) { sphere_->setChecked(sphere); }

bool SegmentEditor::sphereBrush() const { return sphere_->isChecked(); }

void SegmentEditor::setIntensityRange(double min, double max) {
  min_->setValue(min);
  max_->setValue(max);
  int preset = -1;  // none shown when the range is the user's own
  for (int i = 0; i < huPreset_->count(); ++i) {
    const auto range =
        segmentation::huRange(static_cast<segmentation::HuPreset>(huPreset_->itemData(i).toInt()));
    if (range.low_HU == min && range.high_HU == max) preset = i;
  }
  huPreset_->setCurrentIndex(preset);
  emit min_->editingFinished();
}

void SegmentEditor::setMasking(const EditableArea& area) {
  maskInside_->setCurrentIndex(area.insideSegment ? static_cast<int>(*area.insideSegment) + 1 : 0);
  maskRange_->setChecked(area.intensity.has_value());
  if (area.intensity) {
    maskMin_->setValue(area.intensity->min);
    maskMax_->setValue(area.intensity->max);
  }
}

EditableArea SegmentEditor::masking() const {
  EditableArea area;
  if (maskInside_->currentIndex() > 0)
    area.insideSegment = static_cast<std::size_t>(maskInside_->currentIndex() - 1);
  const ImageVolume* source = sourceVolume_();
  if (maskRange_->isChecked() && source)
    area.intensity =
        EditableArea::IntensityRange{source->name, maskMin_->value(), maskMax_->value()};
  return area;
}

void SegmentEditor::setEffect(const segmentation::SegmentOperation& operation) {
  effect_ = operation;
  for (std::size_t n = 0; n < std::size(kEffects); ++n) {
    if (kEffects[n].tool != operation.tool) continue;
    if (operation.tool == SegmentTool::Logical && kEffects[n].logical != operation.logical)
      continue;
    effectKind_->setCurrentIndex(static_cast<int>(n));  // its fields follow
    break;
  }
  const QSignalBlocker block(effectSize_);
  effectSize_->setValue(operation.tool == SegmentTool::RemoveSmallIslands
                            ? operation.minIslandVolume_mm3
                            : operation.margin_mm);
  otherSegment_->setCurrentIndex(static_cast<int>(operation.otherSegment));
}

segmentation::SegmentOperation SegmentEditor::chosenEffect() const {
  segmentation::SegmentOperation op = effect_;
  const EffectInfo& chosen = kEffects[std::max(effectKind_->currentIndex(), 0)];
  op.tool = chosen.tool;
  op.logical = chosen.logical;
  if (op.tool == SegmentTool::RemoveSmallIslands) {
    op.minIslandVolume_mm3 = effectSize_->value();
  } else {
    op.margin_mm = effectSize_->value();
  }
  op.otherSegment = static_cast<std::size_t>(std::max(otherSegment_->currentIndex(), 0));
  return op;
}

QString SegmentEditor::message() const { return message_->text(); }

void SegmentEditor::say(const QString& text) { message_->setText(text); }

void SegmentEditor::refreshSegments() {
  const Case& twin = document_->twin();
  const QVariant current = segments_->currentData();
  const int currentRow = segments_->currentIndex();
  {
    const QSignalBlocker block(segments_);
    segments_->clear();
    for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
      const LabelMap& labels = twin.labelMaps[m];
      for (std::size_t n = 0; n < labels.segments().size(); ++n) {
        const Segment& s = labels.segments()[n];
        QString name = QString::fromStdString(s.name);
        if (twin.labelMaps.size() > 1)  // which segmentation, when there are several
          name = tr("%1 (%2)").arg(name, QString::fromStdString(labels.name));
        QPixmap swatch(12, 12);
        swatch.fill(QColor(s.colour.r, s.colour.g, s.colour.b));
        segments_->addItem(QIcon(swatch), s.locked ? tr("%1 (locked)").arg(name) : name,
                           QPoint(static_cast<int>(m), static_cast<int>(n)));
      }
    }
    // The same segment stays chosen; after a removal, the row that took its place.
    int keep = current.isValid() ? segments_->findData(current) : -1;
    if (keep < 0 && segments_->count() > 0)
      keep = std::clamp(currentRow, 0, segments_->count() - 1);
    segments_->setCurrentIndex(keep);
  }
  refreshMaskingChoices();
}

// The masking segment and the logical effects' other segment are of the edited segment's label
// map (EditableArea and SegmentOperation name segments of the map they edit).
void SegmentEditor::refreshMaskingChoices() {
  const Case& twin = document_->twin();
  const int currentMask = maskInside_->currentIndex();
  const int currentOther = otherSegment_->currentIndex();
  const QSignalBlocker b(maskInside_), c(otherSegment_);
  otherSegment_->clear();
  maskInside_->clear();
  maskInside_->addItem(tr("Everywhere"));
  const std::size_t map = labelMap();
  if (map < twin.labelMaps.size()) {
    for (const Segment& s : twin.labelMaps[map].segments()) {
      const QString name = QString::fromStdString(s.name);
      otherSegment_->addItem(name);
      maskInside_->addItem(tr("Inside %1").arg(name));
    }
  }
  auto restore = [](QComboBox* box, int index) {
    box->setCurrentIndex(index >= 0 && index < box->count() ? index : (box->count() ? 0 : -1));
  };
  restore(otherSegment_, currentOther);
  restore(maskInside_, currentMask);
}

void SegmentEditor::refreshToolPage() {
  const bool brush = isBrush(tool_);
  findChild<QGroupBox*>("brushOptions")->setVisible(brush || tool_ == EditorTool::None);
  findChild<QGroupBox*>("rangeOptions")
      ->setVisible(tool_ == EditorTool::ThresholdPaint || tool_ == EditorTool::RegionGrow);
  findChild<QGroupBox*>("effectOptions")->setVisible(tool_ == EditorTool::Effect);
  const bool previewable = isSeeded(tool_) || tool_ == EditorTool::Effect;
  previewButton_->setEnabled(previewable);
  applyButton_->setEnabled(previewing());
  cancelButton_->setEnabled(previewing() || !seeds_.empty());
}

// ---- what the views show -------------------------------------------------------------------

void SegmentEditor::showCaseLabels() {
  const Case& twin = document_->twin();
  std::vector<rendering::SliceView::ShownLabelMap> shown;
  for (std::size_t m = 0; m < twin.labelMaps.size(); ++m) {
    if (preview_ && m == previewMap_) {
      shown.push_back({&*preview_, segment()});  // the previewed segment hatched
    } else {
      shown.push_back({&twin.labelMaps[m]});
    }
  }
  if (overlays_)
    for (const auto& overlay : overlays_()) shown.push_back(overlay);
  for (SliceViewport* view : views_) {
    view->view().setLabelMaps(shown);
    view->view().setLayerEdit(stroke_ ? &stroke_->layer : nullptr);
    view->update();
  }
}

void SegmentEditor::showBrushOutline(const SliceViewport* shownIn,
                                     const std::optional<Vec3>& p_lps) {
  for (SliceViewport* view : views_) {
    const bool here = view == shownIn && p_lps && isBrush(tool_);
    if (!here && !view->view().brushCentre()) continue;
    view->view().setBrushOutline(here ? p_lps : std::nullopt, brushRadius_mm());
    view->update();
  }
}

// Threshold paint shows what lies in its range in bright yellow over the segments (3D Slicer's
// Threshold effect highlights the same way), so the radiologist sees where the brush will take
// voxels before painting. Each view computes it for the slice it shows, when it renders
// (SliceView::setIntensityHighlight): a range change costs a slice, not the volume.
void SegmentEditor::updateThresholdHighlight() {
  std::optional<rendering::SliceView::IntensityHighlight> highlight;
  const ImageVolume* source = sourceVolume_();
  const Case& twin = document_->twin();
  const std::size_t map = labelMap();
  if (tool_ == EditorTool::ThresholdPaint && source) {
    if (map < twin.labelMaps.size() &&
        (!twin.labelMaps[map].geometry().sameGridAs(source->geometry()) ||
         twin.labelMaps[map].geometry().size != source->geometry().size)) {
      say(tr("The image '%1' is not on the segmentation's grid: threshold paint needs both on "
             "one grid.")
              .arg(QString::fromStdString(source->name)));
    } else {
      highlight.emplace();
      highlight->min = min_->value();
      highlight->max = max_->value();
      // The edited segment's own voxels are left out, so that what was painted shows through.
      if (const auto index = segment()) highlight->except = std::make_pair(map, *index);
    }
  }
  for (SliceViewport* view : views_) {
    view->view().setIntensityHighlight(highlight);
    view->update();
  }
}

// ---- brush strokes -------------------------------------------------------------------------

EditableArea SegmentEditor::strokeArea() const {
  EditableArea area = masking();
  if (tool_ != EditorTool::ThresholdPaint) return area;
  const ImageVolume* source = sourceVolume_();
  if (!source) return area;
  double low = min_->value(), high = max_->value();
  if (area.intensity) {  // both: the voxels in both ranges
    low = std::max(low, area.intensity->min);
    high = std::min(high, area.intensity->max);
  }
  area.intensity = EditableArea::IntensityRange{source->name, low, high};
  return area;
}

const ImageVolume* SegmentEditor::intensitySource(const EditableArea& area) const {
  return area.intensity ? findVolume(document_->twin(), area.intensity->volume) : nullptr;
}

void SegmentEditor::beginStroke(const SliceViewport& view, const Vec3& p_lps) {
  if (previewing()) cancelPreview();
  const auto index = segment();
  if (!index) {
    say(tr("Add or choose a segment to paint."));
    return;
  }
  const Case& twin = document_->twin();
  const LabelMap& labels = twin.labelMaps[labelMap()];
  Stroke stroke;
  try {
    const EditableArea area = strokeArea();
    stroke.editable.emplace(labels, *index, area, intensitySource(area));
  } catch (const Error& e) {
    say(QString::fromUtf8(e.what()));  // a locked segment, a masking volume on another grid
    return;
  }
  // The layer that holds the segment; its slices are copied as the brush reaches them.
  stroke.layer = LabelLayerEdit(labels, labels.segments()[*index].layer);
  stroke.labelMap = labelMap();
  stroke.segment = *index;
  stroke.brush.radius_mm = brushRadius_mm();
  stroke.brush.sphere = sphereBrush();
  stroke.brush.sliceNormal_lps = view.view().slicePlane().normal();
  stroke.brush.sliceThickness_mm = view.view().sliceStep_mm();
  stroke.action = tool_ == EditorTool::Erase ? BrushAction::Erase : BrushAction::Paint;
  stroke_ = std::move(stroke);
  continueStroke(p_lps);
}

void SegmentEditor::continueStroke(const Vec3& p_lps) {
  if (!stroke_) return;
  Stroke& s = *stroke_;
  const ImageGeometry& grid = s.layer.original().geometry();
  // A disk stroke stays in the plane of its first point (the view may not move under it, but
  // the mouse's LPS can drift by rounding).
  Vec3 p = p_lps;
  if (!s.brush.sphere && !s.points_lps.empty()) {
    const Vec3 n = s.brush.sliceNormal_lps.normalized();
    p -= n * n.dot(p_lps - s.points_lps.front());
  }
  const Vec3 from = s.points_lps.empty() ? p : s.points_lps.back();
  const auto voxels = segmentation::brushVoxels(grid, from, p, s.brush);
  s.changed += segmentation::paintVoxels(s.layer, s.segment, voxels, s.action, *s.editable);
  s.touched.insert(s.touched.end(), voxels.begin(), voxels.end());
  s.points_lps.push_back(p);
  for (SliceViewport* view : views_) {
    view->view().setLayerEdit(&s.layer);
    view->update();
  }
}

void SegmentEditor::endStroke() {
  if (!stroke_) return;
  Stroke s = std::move(*stroke_);
  stroke_.reset();
  showCaseLabels();  // the views drew the stroke's copy, which goes now
  const Case& twin = document_->twin();
  const LabelMap& labels = twin.labelMaps[s.labelMap];
  const std::string name = labels.segments()[s.segment].name;
  if (s.changed == 0) {
    const bool locked = std::any_of(labels.segments().begin(), labels.segments().end(),
                                    [](const Segment& seg) { return seg.locked; });
    say(s.action == BrushAction::Erase
            ? tr("Nothing erased: %1 has no voxels under the brush there.")
                  .arg(QString::fromStdString(name))
        : locked || masking().restricts() || tool_ == EditorTool::ThresholdPaint
            ? tr("Nothing painted: the voxels under the brush are already %1, held by a "
                 "locked segment, or outside the masking/intensity range.")
                  .arg(QString::fromStdString(name))
            : tr("Nothing painted: the voxels under the brush are already %1.")
                  .arg(QString::fromStdString(name)));
    return;
  }
  const std::string text = (s.action == BrushAction::Erase ? "Erase " : "Paint ") + name;
  // Only the changed voxels go into the undo history (not a copy of the layer).
  auto edit = segmentation::strokeEdit(twin, s.labelMap, s.layer, std::move(s.touched), text);
  // The stroke's copies let go of the case's layer, so that writing the stroke into it copies
  // nothing (unless the undo history shares it, after a whole-layer edit).
  s.layer = LabelLayerEdit();
  s.editable.reset();
  document_->apply(voxelEdit(std::move(edit)));
  say(tr("%1: %n voxel(s) changed.", nullptr, static_cast<int>(s.changed))
          .arg(QString::fromStdString(text)));
  emit segmentsEdited(s.labelMap, {s.segment});
}

}  // namespace twinplan::ui
