#pragma once
// The Segment Editor dock (issue #16 item 4), after 3D Slicer's Segment Editor: pick the segment
// to edit, then paint, erase or threshold-paint it with a brush in the 2D views, grow it from
// seeds clicked in the views, or run an effect (islands, margin, smoothing, fill holes, fill
// between slices, logical operations) - each with a live preview before it is applied.
//
// Every change is ONE undoable edit of the case (a brush stroke on mouse release, an effect on
// Apply), so Ctrl+Z restores the exact voxels. It edits the layer that holds the chosen
// segment, in whichever label map of the case that is; the 2D views draw every visible segment
// of every label map. While a stroke is drawn the views show its per-slice working copy
// (core/label_layer_edit.h); a preview is drawn hatched until Apply stores it or Cancel (Esc)
// drops it. Locked segments are never changed (binary_mask.h); the editor says why nothing
// happened.
#include <QWidget>
#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case_edit.h"
#include "twinplan/core/label_layer_edit.h"
#include "twinplan/core/label_map.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/segmentation/brush.h"
#include "twinplan/segmentation/segment_edit.h"

class QAction;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QCheckBox;
class QStackedWidget;

namespace twinplan::ui {

class CaseDocument;
class SliceViewport;

// The 3D models rebuilt after an editor's edit, as an edit that joins the voxel edit just
// before it in the undo history: one Ctrl+Z takes back the stroke and its models together.
// (A voxel edit of the editor absorbs it; anywhere else it is an ordinary step.)
std::unique_ptr<CaseEdit> modelsFollowingEdit(std::unique_ptr<CaseEdit> meshesEdit);
// A voxel edit that absorbs the modelsFollowingEdit applied right after it (the editor's
// strokes and effects, the 3D scissors).
std::unique_ptr<CaseEdit> voxelEdit(std::unique_ptr<CaseEdit> edit);

class SegmentEditor : public QWidget {
  Q_OBJECT
 public:
  enum class EditorTool {
    None,             // the views navigate
    Paint,            // P
    Erase,            // E
    ThresholdPaint,   // T: paint only where the source image lies in the range
    RegionGrow,       // G: connected threshold from seeds, in the threshold range
    FastMarching,     // F
    Watershed,        // W: seeds of the segment; Shift+click: background seeds
    GeodesicContour,  // C
    Effect,           // X: the effect chosen in the dock (islands, margin, ...)
  };
  // `sourceVolume`: the volume the intensity tools read (the views' background series); it must
  // be on the label map's grid.
  SegmentEditor(CaseDocument* document, std::array<SliceViewport*, 3> views,
                std::function<const ImageVolume*()> sourceVolume, QWidget* parent = nullptr);
  ~SegmentEditor() override;

  // The actions with their keys (P, E, T, G, F, W, C, X, S sphere, [ and ] radius, Esc, Enter),
  // for the window to add to itself so the keys work wherever the focus is in it.
  const std::vector<QAction*>& actions() const { return actions_; }
  // Enables or disables the editor's keys (the window turns them on while the dock is shown).
  void setKeysEnabled(bool enabled);
  // What the window draws over the case's label maps (the ablation margin outline, the live
  // predicted zone): the editor's redraws (a tool chosen, a stroke ended, the dock hidden)
  // append them after the case's, so they are not dropped. Empty: none.
  using OverlayLabelMaps = std::function<std::vector<rendering::SliceView::ShownLabelMap>()>;
  void setOverlayLabelMaps(OverlayLabelMaps overlays) { overlays_ = std::move(overlays); }

  // ---- state, for the window and tests ----
  void setTool(EditorTool tool);
  EditorTool tool() const { return tool_; }
  std::optional<std::size_t> segment() const;  // its index in label map labelMap()
  std::size_t labelMap() const;                // the chosen segment's label map (0: none)
  void selectSegment(std::size_t index, std::size_t labelMap = 0);
  // A new segment (undoable "Add segment <name>") in the chosen segment's label map (the first
  // when none is chosen), in a new label map on the source volume's grid when the case has
  // none; selected. Returns its index in that label map.
  std::size_t addSegment(const std::string& name);
  void setBrushRadius_mm(double radius_mm);  // clamped to [0.5, 100] mm
  double brushRadius_mm() const;
  void setSphereBrush(bool sphere);
  bool sphereBrush() const;
  // The intensity range of threshold paint and region growing (in the source volume's unit).
  void setIntensityRange(double min, double max);
  // Masking (binary_mask.h EditableArea): only inside a segment and/or an intensity range.
  void setMasking(const segmentation::EditableArea& area);
  segmentation::EditableArea masking() const;
  // The effect the Effect tool previews (its parameters).
  void setEffect(const segmentation::SegmentOperation& operation);

  // ---- brush strokes (the views forward the mouse in LPS) ----
  void beginStroke(const SliceViewport& view, const Vec3& p_lps);
  void continueStroke(const Vec3& p_lps);
  void endStroke();

  // ---- previews ----
  // Seeds of the seeded tools (Shift: a background seed, for the watershed).
  void addSeed(const Vec3& p_lps, bool background = false);
  void clearSeeds();
  // The seeded tool or effect's result, shown in the views until applied or cancelled: on the
  // seed's slice while parameters change (fast), or on the whole volume (`whole`, in the
  // background with progress and Cancel). False when there was nothing to preview or it failed
  // (the dock says why).
  bool preview(bool whole = true);
  bool previewing() const { return preview_.has_value(); }
  bool applyPreview();   // Enter: stores the preview as one undoable edit
  void cancelPreview();  // Esc
  // Voxels the live preview adds to (or removes from) the segment, for the dock and tests.
  std::size_t previewChangedVoxels() const { return previewChanged_; }
  // The last message the dock shows (why nothing happened, what a preview holds).
  QString message() const;

 signals:
  // A stroke or an effect changed segment voxels (the window rebuilds shown 3D models).
  void segmentsEdited(std::size_t labelMap, std::vector<std::size_t> segments);
  // The views edit (a tool other than None) or navigate again.
  void toolChanged(twinplan::ui::SegmentEditor::EditorTool tool);
  // The user (or selectSegment) chose the segment the tools edit.
  void segmentChosen(std::size_t labelMap, std::size_t segment);

 private:
  void buildWidgets();
  void buildActions();
  void connectViews();
  void showCaseLabels();  // the case's label maps, the preview or the stroke in their place
  void refreshSegments();
  void refreshMaskingChoices();
  void refreshToolPage();
  void say(const QString& text);
  void updateThresholdHighlight();
  void showBrushOutline(const SliceViewport* view, const std::optional<Vec3>& p_lps);
  bool isSeeded(EditorTool tool) const;
  bool isBrush(EditorTool tool) const;
  segmentation::EditableArea strokeArea() const;
  const ImageVolume* intensitySource(const segmentation::EditableArea& area) const;
  LabelMap seededResult(bool whole);
  LabelMap effectResult(bool whole);
  // The effect, size and other segment chosen in the dock, as an operation.
  segmentation::SegmentOperation chosenEffect() const;
  void changeRadius(double factor);

  CaseDocument* document_;
  std::array<SliceViewport*, 3> views_;
  std::function<const ImageVolume*()> sourceVolume_;
  OverlayLabelMaps overlays_;
  EditorTool tool_ = EditorTool::None;
  std::vector<QAction*> actions_;
  std::vector<QAction*> toolActions_;

  // A stroke being drawn: its per-slice working copy of the segment's layer, which the views
  // show meanwhile.
  struct Stroke {
    LabelLayerEdit layer;
    std::size_t labelMap = 0, segment = 0;
    std::optional<segmentation::EditableRule> editable;  // asked only where the brush goes
    segmentation::Brush brush;
    segmentation::BrushAction action = segmentation::BrushAction::Paint;
    std::vector<Vec3> points_lps;
    std::vector<std::size_t> touched;  // every voxel the brush went over
    std::size_t changed = 0;
  };
  std::optional<Stroke> stroke_;
  // A previewed result (seeded tool or effect): the edited label map with it, and what it is
  // called in the Undo menu.
  std::optional<LabelMap> preview_;
  std::size_t previewMap_ = 0;
  std::string previewText_;
  std::size_t previewChanged_ = 0;
  bool previewWhole_ = false;  // the preview covers the volume, not only the seed's slice
  std::vector<Vec3> seeds_, backgroundSeeds_;
  const SliceViewport* seedView_ = nullptr;
  segmentation::SegmentOperation effect_;

  // Widgets.
  QComboBox* segments_ = nullptr;
  QLabel* message_ = nullptr;
  QDoubleSpinBox* radius_ = nullptr;
  QCheckBox* sphere_ = nullptr;
  QComboBox* huPreset_ = nullptr;
  QDoubleSpinBox* min_ = nullptr;
  QDoubleSpinBox* max_ = nullptr;
  QComboBox* effectKind_ = nullptr;
  QDoubleSpinBox* effectSize_ = nullptr;
  QComboBox* otherSegment_ = nullptr;
  QComboBox* maskInside_ = nullptr;
  QCheckBox* maskRange_ = nullptr;
  QDoubleSpinBox* maskMin_ = nullptr;
  QDoubleSpinBox* maskMax_ = nullptr;
  QPushButton* previewButton_ = nullptr;
  QPushButton* applyButton_ = nullptr;
  QPushButton* cancelButton_ = nullptr;
};

}  // namespace twinplan::ui
