// The Segment Editor in a real window on the head phantom (noise-free, so intensities are the
// tissues' nominal values): a brush stroke drawn with mouse events paints the voxels of the
// disk/capsule around the points the mouse went through (counted directly here), erase and
// undo give back the exact voxels, threshold paint takes only voxels in range, a region grow
// from a clicked seed previews and then applies the phantom's true tumour, and a locked segment
// is never changed.
#include "twinplan/ui/segment_editor.h"

#include <gtest/gtest.h>

#include <QApplication>
#include <QDockWidget>
#include <QMouseEvent>
#include <QPushButton>
#include <QTableWidget>
#include <QTest>
#include <QToolBar>
#include <cmath>
#include <filesystem>

#include "test_support.h"
#include "twinplan/phantom/phantom.h"
#include "twinplan/segmentation/binary_mask.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/segment_table.h"
#include "twinplan/ui/slice_viewport.h"
#include "twinplan/ui/volume_viewport.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

namespace fs = std::filesystem;
using rendering::SliceOrientation;
using Tool = SegmentEditor::EditorTool;

void saveScreenshot(QWidget& widget, const char* name) {
  const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR");
  if (!dir) return;
  const VtkViewport::RenderAllNow everyView;
  widget.grab().save(QString::fromStdString((fs::path(dir) / name).string()), "PNG");
}

// The voxels a disk brush of `radius_mm` covers along the polyline `points` on an axial grid
// (identity direction), counted voxel by voxel: the centre within half a slice of the first
// point's plane and within radius_mm (in-plane) of a segment of the polyline.
std::vector<std::size_t> expectedDiskStroke(const ImageGeometry& g, const std::vector<Vec3>& points,
                                            double radius_mm) {
  std::vector<std::size_t> covered;
  const double half = 0.5 * g.spacing_mm[2];
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i) {
        const Vec3 c = g.indexToLps(Vec3(i, j, k));
        const double h = c.z() - points.front().z();
        if (!(h > -half && h <= half)) continue;
        bool in = false;
        for (std::size_t n = 0; n < points.size() && !in; ++n) {
          const Eigen::Vector2d a = points[n == 0 ? 0 : n - 1].head<2>(), b = points[n].head<2>();
          const Eigen::Vector2d d = b - a, q = c.head<2>() - a;
          const double t =
              d.squaredNorm() > 0 ? std::clamp(q.dot(d) / d.squaredNorm(), 0.0, 1.0) : 0;
          in = (q - t * d).norm() <= radius_mm + 1e-9;
        }
        if (in) covered.push_back(g.linearIndex(i, j, k));
      }
  return covered;
}

class SegmentEditorTest : public ::testing::Test {
 protected:
  // One phantom for the suite (it is deterministic); each test gets a fresh window and case.
  static void SetUpTestSuite() {
    phantom::PhantomOptions options;
    options.kind = phantom::PhantomKind::Head;
    options.scale = 0.5;  // 112 x 112 x 48 voxels of 2 x 2 x 4 mm
    options.noiseSd = 0.0;
    options.mrNoiseSd = 0.0;
    options.surfaceModels = false;
    shared_ = std::make_unique<phantom::Phantom>(phantom::makePhantom(options));
  }
  static void TearDownTestSuite() { shared_.reset(); }

  void SetUp() override {
    phantom_ = *shared_;
    Case twin = phantom_.twin;
    truth_ = twin.labelMaps.front();
    twin.labelMaps.clear();  // the radiologist segments from scratch
    window_ = std::make_unique<MainWindow>(autosave_.path());
    window_->setCase(std::move(twin));
    window_->resize(1400, 900);
    window_->show();
    ASSERT_TRUE(QTest::qWaitForWindowExposed(window_.get()));
    window_->activateWindow();  // the editor's keys are window shortcuts
    ASSERT_TRUE(QTest::qWaitForWindowActive(window_.get()));
    editor_ = window_->segmentEditor();
    ASSERT_NE(editor_, nullptr);
    auto* dock = window_->findChild<QDockWidget*>("segmentEditorDock");
    ASSERT_NE(dock, nullptr);
    dock->show();
    dock->raise();
    QTest::qWait(50);
    ct_ = &window_->currentCase().volumes.front();
    const Vec3 centre = ct_->geometry().indexToLps(Vec3(56, 56, 24));
    window_->setCrosshair(centre);
    QTest::qWait(50);
    // The view has the focus already, so the first click edits (a focusing click does not).
    axial()->setFocus(Qt::OtherFocusReason);
    QTest::qWait(20);
    QObject::connect(axial(), &SliceViewport::editPressed,
                     [this](const Vec3& p, Qt::KeyboardModifiers) { mousePoints_.push_back(p); });
    QObject::connect(axial(), &SliceViewport::editDragged,
                     [this](const Vec3& p) { mousePoints_.push_back(p); });
  }
  void TearDown() override { window_->document()->markClean(); }

  SliceViewport* axial() const { return window_->sliceViewport(SliceOrientation::Axial); }

  QPoint widgetPoint(const Vec3& p_lps) const {
    double x, y;
    axial()->view().lpsToDisplay(p_lps, x, y);
    const double ratio = axial()->devicePixelRatioF();
    return {static_cast<int>(std::lround(x / ratio)),
            static_cast<int>(std::lround(axial()->height() - y / ratio))};
  }

  // A press, moves and a release through `path` (LPS on the axial slice), as the mouse sends.
  void drag(const std::vector<Vec3>& path, Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
    mousePoints_.clear();
    QTest::mousePress(axial(), Qt::LeftButton, modifiers, widgetPoint(path.front()));
    for (std::size_t n = 1; n < path.size(); ++n) {
      const QPoint at = widgetPoint(path[n]);
      QMouseEvent move(QEvent::MouseMove, at, axial()->mapToGlobal(at), Qt::NoButton,
                       Qt::LeftButton, modifiers);
      QApplication::sendEvent(axial(), &move);
    }
    QTest::mouseRelease(axial(), Qt::LeftButton, modifiers, widgetPoint(path.back()));
    QTest::qWait(10);
  }

  const LabelMap& labels() const { return window_->currentCase().labelMaps.front(); }
  std::size_t count(std::size_t segment) const { return labels().voxelCount(segment); }

  static inline std::unique_ptr<phantom::Phantom> shared_;
  test::TempDir autosave_{"twinplan-autosave"};
  phantom::Phantom phantom_;
  LabelMap truth_;
  std::unique_ptr<MainWindow> window_;
  SegmentEditor* editor_ = nullptr;
  const ImageVolume* ct_ = nullptr;
  std::vector<Vec3> mousePoints_;
};

TEST_F(SegmentEditorTest, StrokeErasedUndoneAndThresholdPainted) {
  const std::size_t brain = editor_->addSegment("Brain");
  EXPECT_EQ(window_->currentCase().labelMaps.size(), 1u);
  EXPECT_TRUE(labels().geometry().sameGridAs(ct_->geometry()));
  QTest::keyClick(axial(), Qt::Key_P);  // the key works with the focus in the view
  ASSERT_EQ(editor_->tool(), Tool::Paint);
  editor_->setBrushRadius_mm(10.0);
  const Vec3 c = window_->sliceViewport(SliceOrientation::Axial)->view().crosshair();
  // A fast stroke: three mouse points 40 mm apart leave no gap between them.
  drag({c + Vec3(-40, 10, 0), c + Vec3(0, 10, 0), c + Vec3(40, 10, 0)});
  ASSERT_EQ(mousePoints_.size(), 3u);
  const auto expected = expectedDiskStroke(labels().geometry(), mousePoints_, 10.0);
  EXPECT_GT(expected.size(), 300u);  // 80 x 20 mm band + caps on 2 x 2 mm pixels: ~ 480
  EXPECT_EQ(count(brain), expected.size());
  for (std::size_t v : expected) ASSERT_EQ(labels().layer(0)[v], labels().segments()[brain].value);
  EXPECT_EQ(window_->document()->editor().undoText(), "Paint Brain");
  saveScreenshot(*window_, "segment-editor-paint.png");

  // Erase the middle of it, then undo: the exact voxels come back.
  const std::vector<std::uint16_t> painted = labels().layer(0);
  QTest::keyClick(axial(), Qt::Key_E);
  ASSERT_EQ(editor_->tool(), Tool::Erase);
  editor_->setBrushRadius_mm(6.0);
  drag({c + Vec3(0, 0, 0), c + Vec3(0, 20, 0)});
  const auto erased = expectedDiskStroke(labels().geometry(), mousePoints_, 6.0);
  std::size_t wasBrain = 0;
  for (std::size_t v : erased) wasBrain += painted[v] != 0;
  EXPECT_GT(wasBrain, 0u);
  EXPECT_EQ(count(brain), expected.size() - wasBrain);
  window_->document()->undo();
  EXPECT_EQ(labels().layer(0), painted);
  EXPECT_EQ(window_->document()->editor().undoText(), "Paint Brain");

  // Threshold paint in the bone range: only skull voxels (nominal 400-1000 HU) are taken.
  const std::size_t skull = editor_->addSegment("Skull");
  QTest::keyClick(axial(), Qt::Key_T);
  ASSERT_EQ(editor_->tool(), Tool::ThresholdPaint);
  editor_->setIntensityRange(300.0, 3000.0);
  editor_->setBrushRadius_mm(8.0);
  // Across the head's left edge: air, skin, fat, skull, brain under one stroke.
  drag({c + Vec3(40, 0, 0), c + Vec3(90, 0, 0)});
  const auto under = expectedDiskStroke(labels().geometry(), mousePoints_, 8.0);
  std::size_t inRange = 0;
  const auto hu = ct_->voxels<std::int16_t>();
  for (std::size_t v : under) inRange += hu[v] >= 300 && hu[v] <= 3000;
  EXPECT_GT(inRange, 0u);
  EXPECT_LT(inRange, under.size());
  EXPECT_EQ(count(skull), inRange);
  for (std::size_t v = 0; v < hu.size(); ++v) {
    ASSERT_TRUE(labels().layer(0)[v] != labels().segments()[skull].value || hu[v] >= 300) << v;
  }
  saveScreenshot(*window_, "segment-editor-threshold.png");
}

TEST_F(SegmentEditorTest, RegionGrowPreviewThenApplyIsTheTrueTumour) {
  const std::size_t tumour = editor_->addSegment("Tumour");
  QTest::keyClick(axial(), Qt::Key_G);
  ASSERT_EQ(editor_->tool(), Tool::RegionGrow);
  editor_->setIntensityRange(65.0, 75.0);  // the tumour enhances to 70 HU; muscle is 50
  const Vec3 centre = phantom_.tumours.front().centre_lps;
  window_->setCrosshair(centre);
  QTest::qWait(20);
  drag({centre});  // a click: the seed
  ASSERT_TRUE(editor_->previewing());
  const std::size_t onSlice = editor_->previewChangedVoxels();
  EXPECT_GT(onSlice, 0u);
  EXPECT_EQ(count(tumour), 0u);  // a preview changes nothing yet
  ASSERT_TRUE(editor_->preview(true));
  EXPECT_GT(editor_->previewChangedVoxels(), onSlice);
  saveScreenshot(*window_, "segment-editor-preview.png");
  ASSERT_TRUE(editor_->applyPreview());
  const auto truth = truth_.findSegment("Tumour");
  ASSERT_TRUE(truth);
  EXPECT_EQ(count(tumour), truth_.voxelCount(*truth));
  const auto grown = segmentation::extractSegment(labels(), tumour);
  const auto expected = segmentation::extractSegment(truth_, *truth);
  EXPECT_EQ(grown.voxels, expected.voxels);
  window_->document()->undo();
  EXPECT_EQ(count(tumour), 0u);
}

TEST_F(SegmentEditorTest, KeepLargestIslandPreviewedThenApplied) {
  const std::size_t s = editor_->addSegment("Lesion");
  QTest::keyClick(axial(), Qt::Key_P);
  const Vec3 c = axial()->view().crosshair();
  editor_->setBrushRadius_mm(12.0);
  drag({c + Vec3(-30, 0, 0)});
  const auto large = expectedDiskStroke(labels().geometry(), mousePoints_, 12.0);
  editor_->setBrushRadius_mm(5.0);
  drag({c + Vec3(30, 0, 0)});
  const auto small = expectedDiskStroke(labels().geometry(), mousePoints_, 5.0);
  ASSERT_EQ(count(s), large.size() + small.size());
  QTest::keyClick(axial(), Qt::Key_X);
  ASSERT_EQ(editor_->tool(), Tool::Effect);
  segmentation::SegmentOperation keep;
  keep.tool = segmentation::SegmentTool::KeepLargestIsland;
  editor_->setEffect(keep);
  ASSERT_TRUE(editor_->preview(true));
  EXPECT_EQ(editor_->previewChangedVoxels(), small.size());
  EXPECT_EQ(count(s), large.size() + small.size());  // not applied yet
  // On a slow machine the preview's progress dialog showed and took the activation with it.
  window_->activateWindow();
  ASSERT_TRUE(QTest::qWaitForWindowActive(window_.get()));
  QTest::keyClick(axial(), Qt::Key_Return);  // Enter applies
  EXPECT_FALSE(editor_->previewing());
  EXPECT_EQ(count(s), large.size());
  for (std::size_t v : large) ASSERT_NE(labels().layer(0)[v], 0);
  window_->document()->undo();
  EXPECT_EQ(count(s), large.size() + small.size());
}

TEST_F(SegmentEditorTest, ShownModelIsRebuiltAfterAStrokeAndUndoneWithIt) {
  const std::size_t s = editor_->addSegment("Lesion");
  QTest::keyClick(axial(), Qt::Key_P);
  editor_->setSphereBrush(true);
  editor_->setBrushRadius_mm(10.0);
  const Vec3 c = axial()->view().crosshair();
  drag({c});
  ASSERT_TRUE(window_->buildModels());  // the surgeon looks at it in 3D
  const auto& meshes = [this]() -> const std::vector<SurfaceMesh>& {
    return window_->currentCase().meshes;
  };
  ASSERT_EQ(meshes().size(), 1u);
  const std::vector<std::array<float, 3>> before = meshes().front().points_lps;
  const std::size_t voxelsBefore = count(s);
  drag({c + Vec3(15, 0, 0)});  // a second ball beside the first
  ASSERT_GT(count(s), voxelsBefore);
  // Rebuilt in the background; the new model reaches further to the left (+L).
  ASSERT_TRUE(QTest::qWaitFor([&] { return meshes().front().points_lps != before; }, 5000));
  float maxL = -1e9f, maxBefore = -1e9f;
  for (const auto& p : meshes().front().points_lps) maxL = std::max(maxL, p[0]);
  for (const auto& p : before) maxBefore = std::max(maxBefore, p[0]);
  EXPECT_NEAR(maxL - maxBefore, 15.0, 2.5);  // moved by the 15 mm offset, within a voxel
  // One undo takes back the stroke and its model together.
  EXPECT_EQ(window_->document()->editor().undoText(), "Paint Lesion");
  window_->document()->undo();
  EXPECT_EQ(count(s), voxelsBefore);
  EXPECT_EQ(meshes().front().points_lps, before);
}

TEST_F(SegmentEditorTest, LockedSegmentIsNeverPaintedAndTheEditorSaysWhy) {
  const std::size_t a = editor_->addSegment("A");
  const std::size_t b = editor_->addSegment("B");
  editor_->selectSegment(b);
  QTest::keyClick(axial(), Qt::Key_P);
  editor_->setBrushRadius_mm(8.0);
  const Vec3 c = axial()->view().crosshair();
  drag({c, c + Vec3(10, 0, 0)});
  const std::vector<std::uint16_t> withB = labels().layer(0);
  const std::size_t bVoxels = count(b);
  ASSERT_GT(bVoxels, 0u);
  // Lock B, then paint A over it: B keeps every voxel.
  std::vector<LabelMap> maps = window_->currentCase().labelMaps;
  maps.front().segments()[b].locked = true;
  window_->document()->apply(edits::replaceLabelMaps(window_->currentCase(), maps, "Lock B"));
  editor_->selectSegment(a);
  drag({c + Vec3(-5, 0, 0), c + Vec3(5, 0, 0)});
  EXPECT_EQ(count(b), bVoxels);
  for (std::size_t v = 0; v < withB.size(); ++v) {
    ASSERT_TRUE(withB[v] != labels().segments()[b].value || labels().layer(0)[v] == withB[v]) << v;
  }
  // Painting the locked segment itself is refused with the reason.
  editor_->selectSegment(b);
  const auto before = labels().layer(0);
  drag({c + Vec3(20, 20, 0)});
  EXPECT_EQ(labels().layer(0), before);
  EXPECT_TRUE(editor_->message().contains("locked")) << editor_->message().toStdString();
}

// The Segments table and the editor edit one segment: choosing a row chooses the editor's
// segment, and choosing in the editor selects the row; the stroke then lands in that segment.
TEST_F(SegmentEditorTest, TableAndEditorShareTheCurrentSegment) {
  const std::size_t a = editor_->addSegment("A");
  const std::size_t b = editor_->addSegment("B");
  SegmentTable* table = window_->segmentTable();
  ASSERT_NE(table, nullptr);
  table->setCurrentSegment({0, a});
  QTest::qWait(10);
  EXPECT_EQ(editor_->segment(), a);
  editor_->selectSegment(b);
  QTest::qWait(10);
  ASSERT_TRUE(table->currentSegment());
  EXPECT_EQ(*table->currentSegment(), (SegmentRef{0, b}));
  table->setCurrentSegment({0, a});
  QTest::qWait(10);
  QTest::keyClick(axial(), Qt::Key_P);
  editor_->setBrushRadius_mm(6.0);
  const Vec3 c = axial()->view().crosshair();
  drag({c, c + Vec3(8, 0, 0)});
  EXPECT_GT(count(a), 0u);
  EXPECT_EQ(count(b), 0u);
}

TEST_F(SegmentEditorTest, BrushSizeKeysAndSphereToggle) {
  editor_->addSegment("S");
  QTest::keyClick(axial(), Qt::Key_P);
  editor_->setBrushRadius_mm(10.0);
  QTest::keyClick(axial(), Qt::Key_BracketRight);
  EXPECT_NEAR(editor_->brushRadius_mm(), 11.0, 0.05);
  QTest::keyClick(axial(), Qt::Key_BracketLeft);
  EXPECT_NEAR(editor_->brushRadius_mm(), 10.0, 0.05);
  QTest::keyClick(axial(), Qt::Key_S);
  EXPECT_TRUE(editor_->sphereBrush());
  // The sphere brush on 2 x 2 x 4 mm voxels: its slices k-2..k+2 are disks of sqrt(100 - z^2).
  const Vec3 c = axial()->view().crosshair();
  drag({c});
  std::size_t expected = 0;
  const ImageGeometry& g = labels().geometry();
  const Vec3 p = mousePoints_.front();
  for (std::int64_t k = 0; k < g.size[2]; ++k)
    for (std::int64_t j = 0; j < g.size[1]; ++j)
      for (std::int64_t i = 0; i < g.size[0]; ++i)
        expected += (g.indexToLps(Vec3(i, j, k)) - p).norm() <= 10.0 + 1e-9;
  EXPECT_EQ(count(0), expected);
  // After a click on a tool button in the dock the keys still work (the buttons take no focus).
  QTest::mouseClick(editor_->findChild<QPushButton*>("toolE"), Qt::LeftButton);
  EXPECT_EQ(editor_->tool(), Tool::Erase);
  ASSERT_NE(QApplication::focusWidget(), nullptr);
  QTest::keyClick(QApplication::focusWidget(), Qt::Key_P);
  EXPECT_EQ(editor_->tool(), Tool::Paint);
  // The 3D view keeps its own C, [ and ] (clipping box) while the editor is shown.
  VolumeViewport* volume = window_->volumeViewport();
  volume->setFocus(Qt::OtherFocusReason);
  QTest::qWait(10);
  const bool clipping = volume->clipping();
  QTest::keyClick(volume, Qt::Key_C);
  EXPECT_NE(volume->clipping(), clipping);
  EXPECT_EQ(editor_->tool(), Tool::Paint);
  QTest::keyClick(volume, Qt::Key_BracketRight);
  EXPECT_NEAR(editor_->brushRadius_mm(), 10.0, 0.05);
  axial()->setFocus(Qt::OtherFocusReason);
  QTest::qWait(10);
  // A measurement tool ends the editor's tool, and an editor tool ends a measurement tool.
  window_->findChild<QToolBar*>("tools")->actions().at(2)->trigger();  // Ruler
  EXPECT_EQ(editor_->tool(), Tool::None);
  QTest::keyClick(axial(), Qt::Key_P);
  EXPECT_EQ(editor_->tool(), Tool::Paint);
  EXPECT_TRUE(window_->findChild<QToolBar*>("tools")->actions().at(0)->isChecked());
  // Esc leaves the tool: the views navigate again.
  QTest::keyClick(axial(), Qt::Key_Escape);
  EXPECT_EQ(editor_->tool(), Tool::None);
  EXPECT_FALSE(axial()->editMode());
}

}  // namespace
}  // namespace twinplan::ui

namespace twinplan::ui {
namespace {

// Overlapping segments live in several layers and label maps (label_map.h): the 2D view draws
// every visible one filled and outlined, and a stroke edits the layer - of whichever label map -
// that holds the chosen segment. The Segments table's volumes follow the stroke and its undo.
TEST_F(SegmentEditorTest, OverlappingSegmentsOfEveryLayerAreDrawnAndTheChosenOnesLayerPainted) {
  const ImageGeometry& g = ct_->geometry();
  const Rgb red{220, 40, 40}, green{40, 200, 60}, blue{30, 60, 230};
  auto box = [&](LabelMap& labels, int layer, std::uint16_t value, Index3 lo, Index3 hi) {
    for (std::int64_t k = lo[2]; k < hi[2]; ++k)
      for (std::int64_t j = lo[1]; j < hi[1]; ++j)
        for (std::int64_t i = lo[0]; i < hi[0]; ++i)
          labels.layer(layer)[g.linearIndex(i, j, k)] = value;
  };
  // Brain (layer 0) with a Tumour overlapping it (layer 1); a Vessel in a second label map.
  LabelMap head(g);
  head.name = "Head";
  head.addSegment({"Brain", "brain", red});
  Segment tumour{"Tumour", "tumour", green};
  tumour.layer = 1;
  head.addSegment(tumour);
  box(head, 0, 1, {40, 40, 20}, {72, 72, 28});
  box(head, 1, 1, {50, 50, 22}, {62, 62, 26});
  LabelMap vessels(g);
  vessels.name = "Vessels";
  vessels.addSegment({"Vessel", "vessel", blue});
  box(vessels, 0, 1, {55, 30, 20}, {58, 90, 28});
  window_->document()->apply(
      edits::replaceLabelMaps(window_->currentCase(), {head, vessels}, "Segments"));
  const Vec3 centre = g.indexToLps(Vec3(56, 56, 24));
  window_->setCrosshair(centre);
  QTest::qWait(20);

  // The pixel at a voxel centre, and its grey before any segment.
  const rendering::SliceView& view = axial()->view();
  auto pixelOf = [&](const Vec3& ijk) {
    const rendering::SlicePlane& plane = view.slicePlane();
    const Vec3 d = g.indexToLps(ijk) - plane.origin_lps;
    return std::make_pair(static_cast<int>(std::lround(d.dot(plane.right) / plane.spacing_mm)),
                          static_cast<int>(std::lround(d.dot(plane.down) / plane.spacing_mm)));
  };
  auto greyAt = [&](const Vec3& ijk) {
    return static_cast<double>(rendering::screenGrey(
        ct_->valueAt(std::int64_t(ijk[0]), std::int64_t(ijk[1]), std::int64_t(ijk[2])),
        view.windowLevel(), *ct_));
  };
  auto tint = [](double under, std::uint8_t over) {
    return std::floor(under * 0.65 + over * 0.35 + 0.5);  // the fill: 35 % of the colour
  };
  auto expectColour = [&](const Vec3& ijk, double r, double gr, double b) {
    const auto [u, v] = pixelOf(ijk);
    const auto shown = view.displayedColourAt(u, v);
    EXPECT_NEAR(shown.r, r, 1.0) << ijk.transpose();
    EXPECT_NEAR(shown.g, gr, 1.0) << ijk.transpose();
    EXPECT_NEAR(shown.b, b, 1.0) << ijk.transpose();
  };
  // Brain and Tumour overlap at (52, 52): both tints over the grey. Brain, Tumour and Vessel at
  // (56, 56): all three (drawn in label map, then layer order).
  const Vec3 both(52, 52, 24), all(56, 56, 24);
  double grey = greyAt(both);
  expectColour(both, tint(tint(grey, red.r), green.r), tint(tint(grey, red.g), green.g),
               tint(tint(grey, red.b), green.b));
  grey = greyAt(all);
  expectColour(all, tint(tint(tint(grey, red.r), green.r), blue.r),
               tint(tint(tint(grey, red.g), green.g), blue.g),
               tint(tint(tint(grey, red.b), green.b), blue.b));
  // The Tumour's outline (its first column, i = 50) is opaque green under the vessel-free row.
  expectColour(Vec3(50, 52, 24), green.r, green.g, green.b);

  // Choose the Tumour (layer 1) and paint beside it: layer 1 changes, layer 0 does not.
  SegmentTable* table = window_->segmentTable();
  table->setCurrentSegment({0, 1});
  QTest::qWait(10);
  ASSERT_EQ(editor_->segment(), std::size_t{1});
  ASSERT_EQ(editor_->labelMap(), 0u);
  const std::vector<std::uint16_t> layer0 = labels().layer(0), layer1 = labels().layer(1);
  const std::vector<std::uint16_t> vesselLayer = window_->currentCase().labelMaps[1].layer(0);
  QTest::keyClick(axial(), Qt::Key_P);
  editor_->setBrushRadius_mm(6.0);
  drag({g.indexToLps(Vec3(66, 56, 24))});
  const std::size_t tumourVoxels = labels().voxelCount(1);
  EXPECT_GT(tumourVoxels, 12u * 12u * 4u);
  EXPECT_EQ(labels().layer(0), layer0);
  EXPECT_NE(labels().layer(1), layer1);
  EXPECT_EQ(window_->currentCase().labelMaps[1].layer(0), vesselLayer);
  // The table's volume follows the stroke (from its count changes) and its undo.
  const double voxel_ml = g.spacing_mm.prod() / 1000.0;
  auto tableVolume = [&](const SegmentRef& ref) {
    return table->table()->item(table->rowOf(ref), SegmentTable::kVolume)->text().toDouble();
  };
  EXPECT_NEAR(tableVolume({0, 1}), tumourVoxels * voxel_ml, 0.051);
  window_->document()->undo();
  EXPECT_EQ(labels().layer(1), layer1);
  EXPECT_NEAR(tableVolume({0, 1}), labels().voxelCount(1) * voxel_ml, 0.051);
  window_->document()->redo();
  EXPECT_NEAR(tableVolume({0, 1}), tumourVoxels * voxel_ml, 0.051);

  // The Vessel, in the second label map: the stroke lands there.
  editor_->selectSegment(0, 1);
  QTest::qWait(10);
  ASSERT_TRUE(table->currentSegment());
  EXPECT_EQ(*table->currentSegment(), (SegmentRef{1, 0}));
  const std::vector<std::uint16_t> headLayer1 = labels().layer(1);
  drag({g.indexToLps(Vec3(40, 80, 24))});
  EXPECT_GT(window_->currentCase().labelMaps[1].voxelCount(0), 3u * 60u * 8u);
  EXPECT_EQ(labels().layer(1), headLayer1);
  EXPECT_NEAR(tableVolume({1, 0}), window_->currentCase().labelMaps[1].voxelCount(0) * voxel_ml,
              0.051);
  saveScreenshot(*window_, "segment-editor-layers.png");
}

}  // namespace
}  // namespace twinplan::ui
