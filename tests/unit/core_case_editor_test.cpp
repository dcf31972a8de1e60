// Edits, undo and redo of a case without any front end (issue #14, deliverable 1).
#include <gtest/gtest.h>

#include "twinplan/core/case_editor.h"
#include "twinplan/core/error.h"
#include "twinplan/core/simulation_outputs_edit.h"

namespace twinplan {
namespace {

Measurement ruler(const std::string& name, double length_mm) {
  Measurement m;
  m.kind = Measurement::Kind::Ruler;
  m.name = name;
  m.points_lps = {Vec3(0, 0, 0), Vec3(length_mm, 0, 0)};
  return m;
}

Case caseWithMeshAndSegments() {
  Case twin;
  twin.name = "edit test";
  SurfaceMesh liver;
  liver.name = "Liver";
  liver.segmentName = "Liver";
  liver.colour = {200, 100, 80};
  liver.opacity = 0.5f;
  twin.meshes.push_back(liver);
  ImageGeometry grid;
  grid.size = {4, 4, 4};
  LabelMap labels(grid);
  Segment tumour;
  tumour.name = "Tumour";
  tumour.value = 1;
  tumour.colour = {255, 255, 0};
  labels.addSegment(tumour);
  twin.labelMaps.push_back(labels);
  return twin;
}

// Records what observers are told.
struct Recorder {
  std::vector<CaseChange> changes;
  explicit Recorder(CaseEditor& editor) {
    editor.subscribe([this](const CaseChange& c) { changes.push_back(c); });
  }
  std::size_t count(CasePart part) const {
    return static_cast<std::size_t>(std::count_if(
        changes.begin(), changes.end(), [&](const CaseChange& c) { return c.part == part; }));
  }
};

TEST(CaseEditor, AddUndoRedoMeasurements) {
  CaseEditor editor;
  Recorder told(editor);
  editor.apply(edits::addMeasurement(editor.twin(), ruler("Ruler 1", 10)));
  editor.apply(edits::addMeasurement(editor.twin(), ruler("Ruler 2", 20)));
  ASSERT_EQ(editor.twin().measurements.size(), 2u);
  EXPECT_TRUE(editor.isModified());
  EXPECT_EQ(editor.undoText(), "Add Ruler 2");
  EXPECT_EQ(told.count(CasePart::Measurements), 2u);

  editor.undo();
  ASSERT_EQ(editor.twin().measurements.size(), 1u);
  EXPECT_EQ(editor.twin().measurements[0].name, "Ruler 1");
  EXPECT_EQ(editor.redoText(), "Add Ruler 2");
  editor.undo();
  EXPECT_TRUE(editor.twin().measurements.empty());
  EXPECT_FALSE(editor.isModified());  // back at the state it was opened in
  EXPECT_FALSE(editor.canUndo());
  editor.undo();  // nothing to undo: harmless
  editor.redo();
  editor.redo();
  ASSERT_EQ(editor.twin().measurements.size(), 2u);
  EXPECT_EQ(editor.twin().measurements[1].points_lps[1].x(), 20.0);
  EXPECT_EQ(told.count(CasePart::Measurements), 6u);
}

TEST(CaseEditor, ANewEditDropsWhatWasUndone) {
  CaseEditor editor;
  editor.apply(edits::addMeasurement(editor.twin(), ruler("A", 1)));
  editor.apply(edits::addMeasurement(editor.twin(), ruler("B", 2)));
  editor.undo();
  editor.apply(edits::replaceMeasurement(editor.twin(), 0, ruler("A moved", 3)));
  EXPECT_FALSE(editor.canRedo());
  EXPECT_EQ(editor.historySize(), 2u);
  ASSERT_EQ(editor.twin().measurements.size(), 1u);
  EXPECT_EQ(editor.twin().measurements[0].name, "A moved");
  editor.undo();
  EXPECT_EQ(editor.twin().measurements[0].name, "A");
}

TEST(CaseEditor, ABadEditChangesNothing) {
  CaseEditor editor;
  editor.apply(edits::addMeasurement(editor.twin(), ruler("A", 1)));
  const std::uint64_t revision = editor.revision();
  try {
    editor.apply(edits::removeMeasurement(editor.twin(), 5));
    FAIL() << "removing measurement 6 of 1 must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("no measurement number 6"), std::string::npos) << e.what();
  }
  EXPECT_EQ(editor.twin().measurements.size(), 1u);
  EXPECT_EQ(editor.revision(), revision);
  EXPECT_EQ(editor.historySize(), 1u);
  EXPECT_THROW(editor.apply(nullptr), Error);
}

TEST(CaseEditor, ASliderDragIsOneUndoStep) {
  CaseEditor editor(caseWithMeshAndSegments());
  Recorder told(editor);
  DisplayProperties display = edits::displayOf(editor.twin(), DisplayedItem::Mesh, 0);
  EXPECT_FLOAT_EQ(display.opacity, 0.5f);
  for (float opacity : {0.6f, 0.7f, 0.8f}) {
    display.opacity = opacity;
    editor.apply(edits::setDisplay(editor.twin(), DisplayedItem::Mesh, 0, display, true));
  }
  EXPECT_EQ(editor.historySize(), 1u);
  EXPECT_FLOAT_EQ(editor.twin().meshes[0].opacity, 0.8f);
  EXPECT_EQ(told.count(CasePart::MeshDisplay), 3u);
  EXPECT_EQ(told.changes.front(), (CaseChange{CasePart::MeshDisplay, 0, 0}));
  editor.undo();
  EXPECT_FLOAT_EQ(editor.twin().meshes[0].opacity, 0.5f);
  editor.redo();
  EXPECT_FLOAT_EQ(editor.twin().meshes[0].opacity, 0.8f);

  // A new gesture (continuing = false) is a step of its own; opacity is clamped to 0..1.
  display.opacity = 2.0f;
  editor.apply(edits::setDisplay(editor.twin(), DisplayedItem::Mesh, 0, display, false));
  EXPECT_EQ(editor.historySize(), 2u);
  EXPECT_FLOAT_EQ(editor.twin().meshes[0].opacity, 1.0f);
}

TEST(CaseEditor, AGestureNeverMergesIntoTheSavedState) {
  CaseEditor editor(caseWithMeshAndSegments());
  DisplayProperties display = edits::displayOf(editor.twin(), DisplayedItem::Mesh, 0);
  display.opacity = 0.6f;
  editor.apply(edits::setDisplay(editor.twin(), DisplayedItem::Mesh, 0, display, true));
  editor.markClean();  // saved in the middle of a drag
  display.opacity = 0.9f;
  editor.apply(edits::setDisplay(editor.twin(), DisplayedItem::Mesh, 0, display, true));
  EXPECT_EQ(editor.historySize(), 2u);
  EXPECT_TRUE(editor.isModified());
  editor.undo();
  EXPECT_FALSE(editor.isModified());
  EXPECT_FLOAT_EQ(editor.twin().meshes[0].opacity, 0.6f);
}

TEST(CaseEditor, SegmentDisplayAndHidden) {
  CaseEditor editor(caseWithMeshAndSegments());
  DisplayProperties hidden{{0, 0, 255}, 1.0f, false};
  editor.apply(edits::setDisplay(editor.twin(), DisplayedItem::Segment, 0, hidden));
  const Segment& tumour = editor.twin().labelMaps[0].segments()[0];
  EXPECT_FALSE(tumour.visible);
  EXPECT_EQ(tumour.colour, (Rgb{0, 0, 255}));
  EXPECT_EQ(editor.undoText(), "Change the display of Tumour");
  EXPECT_THROW(edits::setDisplay(editor.twin(), DisplayedItem::Segment, 3, hidden), Error);
  EXPECT_THROW(edits::setDisplay(editor.twin(), DisplayedItem::Segment, 0, hidden, false, 1),
               Error);
}

TEST(CaseEditor, RebuiltModelsKeepTheirDisplay) {
  CaseEditor editor(caseWithMeshAndSegments());
  SurfaceMesh rebuilt;
  rebuilt.name = "Liver";
  rebuilt.segmentName = "Liver";
  rebuilt.points_lps = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
  rebuilt.triangles = {{0, 1, 2}};
  SurfaceMesh tumour;
  tumour.name = "Tumour";
  tumour.segmentName = "Tumour";
  editor.apply(edits::updateSegmentMeshes(editor.twin(), {rebuilt, tumour}));
  ASSERT_EQ(editor.twin().meshes.size(), 2u);
  EXPECT_EQ(editor.twin().meshes[0].triangles.size(), 1u);
  EXPECT_FLOAT_EQ(editor.twin().meshes[0].opacity, 0.5f);  // kept from the old liver model
  EXPECT_EQ(editor.twin().meshes[0].colour, (Rgb{200, 100, 80}));
  EXPECT_EQ(editor.twin().meshes[1].name, "Tumour");
  editor.undo();
  ASSERT_EQ(editor.twin().meshes.size(), 1u);
  EXPECT_TRUE(editor.twin().meshes[0].triangles.empty());
}

TEST(CaseEditor, PlansAndResults) {
  CaseEditor editor;
  Plan plan;
  plan.kind = "ablation";
  plan.name = "Probe A";
  plan.parameters = {{"power_W", 60}};
  editor.apply(edits::addPlan(editor.twin(), plan));
  plan.parameters["power_W"] = 80;
  editor.apply(edits::replacePlan(editor.twin(), 0, plan));
  EXPECT_EQ(editor.twin().plans[0].parameters["power_W"], 80);

  ScalarField temperature;
  temperature.name = "Temperature at 600 s";
  temperature.unit = units::kDegreeCelsius;
  temperature.geometry.size = {2, 2, 1};
  temperature.values = {37, 60, 90, 37};
  editor.apply(edits::storeResult(editor.twin(), temperature));
  temperature.values[2] = 95;
  editor.apply(edits::storeResult(editor.twin(), temperature));  // same name: replaced
  ASSERT_EQ(editor.twin().fields.size(), 1u);
  EXPECT_FLOAT_EQ(editor.twin().fields[0].values[2], 95.0f);
  editor.undo();
  EXPECT_FLOAT_EQ(editor.twin().fields[0].values[2], 90.0f);
  temperature.values.pop_back();
  EXPECT_THROW(edits::storeResult(editor.twin(), temperature), Error);  // 3 values, 4 voxels
  editor.undo();
  editor.undo();
  EXPECT_TRUE(editor.twin().fields.empty());
  EXPECT_EQ(editor.twin().plans[0].parameters["power_W"], 60);
  editor.apply(edits::removePlan(editor.twin(), 0));
  EXPECT_TRUE(editor.twin().plans.empty());
}

// Results have ids (case.h): given when stored, kept when a run of the same name replaces the
// result or the result is renamed; two results may then share a name and stay apart by id.
TEST(CaseEditor, ResultsKeepTheirIdsThroughReplacementAndRename) {
  ScalarField dose;
  dose.name = "Dose (plan)";
  dose.quantity = "dose";
  dose.unit = units::kGray;
  dose.geometry.size = {2, 1, 1};
  dose.values = {60, 30};
  Case start;
  start.fields = {dose};  // built in code, no id
  CaseEditor editor(start);
  ASSERT_EQ(editor.twin().fields[0].id, "result-1");
  ScalarField boost = dose;
  boost.name = "Dose (boost)";
  boost.values = {20, 10};
  editor.apply(edits::storeResult(editor.twin(), boost));
  EXPECT_EQ(editor.twin().fields[1].id, "result-2");
  boost.values = {22, 11};
  editor.apply(edits::storeResult(editor.twin(), boost));  // run again: replaced, same id
  ASSERT_EQ(editor.twin().fields.size(), 2u);
  EXPECT_EQ(editor.twin().fields[1].id, "result-2");
  EXPECT_FLOAT_EQ(editor.twin().fields[1].values[0], 22.0f);

  editor.apply(edits::renameResult(editor.twin(), 1, "Dose (plan)"));
  EXPECT_EQ(editor.twin().fields[1].name, "Dose (plan)");
  EXPECT_EQ(editor.twin().fields[1].id, "result-2");
  EXPECT_EQ(editor.undoText(), "Rename result Dose (boost) to Dose (plan)");
  // With an id, a result replaces that result, whatever its name.
  ScalarField second = editor.twin().fields[1];
  second.values = {24, 12};
  editor.apply(edits::storeResult(editor.twin(), second));
  EXPECT_FLOAT_EQ(editor.twin().fields[0].values[0], 60.0f);
  EXPECT_FLOAT_EQ(editor.twin().fields[1].values[0], 24.0f);
  EXPECT_THROW(edits::renameResult(editor.twin(), 0, ""), Error);
  EXPECT_THROW(edits::renameResult(editor.twin(), 2, "Dose"), Error);
  editor.undo();
  editor.undo();
  EXPECT_EQ(editor.twin().fields[1].name, "Dose (boost)");
  // A case opened in the editor gets ids for results without one, or with a repeated one.
  Case repeated = editor.twin();
  repeated.fields[1].id = "result-1";
  editor.reset(repeated);
  EXPECT_EQ(editor.twin().fields[0].id, "result-1");
  EXPECT_EQ(editor.twin().fields[1].id, "result-2");
}

// A result that brings a plan and 3D models but no volumes or labelmaps leaves those lists
// where they are, through apply, undo and redo: the 2D views borrow their elements and are
// re-pointed only for the parts an edit reports (a shift result without volumes crashed the
// window's next render before).
TEST(CaseEditor, StoredOutputsMoveOnlyTheListsTheyTouch) {
  CaseEditor editor(caseWithMeshAndSegments());
  const LabelMap* labels = editor.twin().labelMaps.data();
  SimulationOutputs outputs;
  Plan plan;
  plan.kind = "tissue-shift";
  plan.name = "Brain shift";
  outputs.plans.push_back(plan);
  SurfaceMesh moved = editor.twin().meshes[0];
  moved.name = "Liver (shifted)";
  outputs.meshes.push_back(moved);
  Recorder told(editor);
  editor.apply(edits::storeSimulationOutputs(editor.twin(), std::move(outputs), "Shift"));
  EXPECT_EQ(editor.twin().labelMaps.data(), labels);
  EXPECT_EQ(editor.twin().meshes.size(), 2u);
  EXPECT_EQ(told.count(CasePart::LabelMaps), 0u);
  EXPECT_EQ(told.count(CasePart::Meshes), 1u);
  EXPECT_EQ(told.count(CasePart::Plans), 1u);
  editor.undo();
  EXPECT_EQ(editor.twin().labelMaps.data(), labels);
  EXPECT_EQ(editor.twin().meshes.size(), 1u);
  editor.redo();
  EXPECT_EQ(editor.twin().labelMaps.data(), labels);
  EXPECT_EQ(editor.twin().plans.size(), 1u);
}

TEST(CaseEditor, UndoLimitDropsTheOldestSteps) {
  CaseEditor editor;
  editor.setUndoLimit(3);
  for (int n = 1; n <= 5; ++n)
    editor.apply(edits::addMeasurement(editor.twin(), ruler("R" + std::to_string(n), n)));
  EXPECT_EQ(editor.historySize(), 3u);
  editor.undo();
  editor.undo();
  editor.undo();
  EXPECT_FALSE(editor.canUndo());
  EXPECT_EQ(editor.twin().measurements.size(), 2u);  // R1, R2 are beyond the limit
  EXPECT_TRUE(editor.isModified());                  // the opened state can no longer be reached
}

TEST(CaseEditor, ResetClearsHistoryAndReturnsTheOldCase) {
  CaseEditor editor;
  Recorder told(editor);
  editor.apply(edits::addMeasurement(editor.twin(), ruler("A", 1)));
  Case next;
  next.name = "next";
  const Case previous = editor.reset(std::move(next));
  EXPECT_EQ(previous.measurements.size(), 1u);
  EXPECT_EQ(editor.twin().name, "next");
  EXPECT_FALSE(editor.canUndo());
  EXPECT_FALSE(editor.isModified());
  EXPECT_EQ(told.count(CasePart::Whole), 1u);
  editor.markModified();
  EXPECT_TRUE(editor.isModified());
}

TEST(CaseEditor, ObserversCanLeave) {
  CaseEditor editor;
  int calls = 0;
  const int id = editor.subscribe([&](const CaseChange&) { ++calls; });
  editor.apply(edits::addMeasurement(editor.twin(), ruler("A", 1)));
  EXPECT_EQ(calls, 2);  // measurements, then history
  editor.unsubscribe(id);
  editor.undo();
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace twinplan
