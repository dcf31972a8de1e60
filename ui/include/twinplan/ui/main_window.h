#pragma once
// TwinPlan's main window: the case's views in a 4-up / 1-up / 1+3 layout with a linked
// crosshair, window/level presets, a cursor readout, the DICOM browser, measurement tools,
// undo/redo, and autosave with crash recovery.
#include <QMainWindow>
#include <QTemporaryDir>
#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/core/case_file.h"
#include "twinplan/core/job.h"
#include "twinplan/engine/glioma_twin.h"
#include "twinplan/io/dicom_index.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/segmentation/scissors.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/view_state.h"

class QGridLayout;
class QLabel;
class QListWidget;
class QTimer;
class QAction;
class QActionGroup;
class QDockWidget;
class QMenu;
class QSlider;
class QMouseEvent;

namespace twinplan::rendering {
class ShiftOverlay;
class BeamOverlay;
}  // namespace twinplan::rendering
namespace twinplan::engine {
struct TissueShiftParameters;
}
namespace twinplan::teaching {
class Presenter;
struct SessionState;
}

namespace twinplan::ui {

class SliceViewport;
class VolumeViewport;
class VtkViewport;
class DicomBrowser;
class DisplayListPanel;
class SeriesPanel;
class SegmentTable;
class SegmentComparisonPanel;
class SegmentEditor;
class LandmarkPanel;
class AblationPanel;
class HeadsetLink;
struct AblationSetup;
class ShiftPanel;
class LiveToolDriver;
struct LiveToolFrame;
struct ShiftScene;
struct AblationOutcome;
struct AblationScene;
struct ResultScene;
struct TeachingScene;
class TeachingDialog;
struct BeamDrawing;
class RtPanel;
class IsosurfaceBuilder;
struct MarginMapDisplay;
struct ZonePreview;
class ZonePreviewer;

enum class Layout { FourUp, OneUp, OnePlusThree };
Layout layoutFromString(const std::string& name);  // "4up" | "1up" | "1+3"

// The right-hand panels' workflows, in the order their tabs run down the window's right edge
// (MainWindow::addWorkflowDock).
enum class Workflow { Images, Segment, Plan, Present };

// What a left click in a 2D view does.
enum class Tool { Navigate, Point, Ruler, Angle, RoiBox, RoiEllipse };

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  // `autosaveDirectory` empty: Autosaver::defaultDirectory().
  explicit MainWindow(std::filesystem::path autosaveDirectory = {});
  ~MainWindow() override;

  // Throws twinplan::Error on a bad file.
  void openCase(const std::filesystem::path& file);
  void setCase(Case twin);
  // Scans a folder, DICOMDIR or file in the background into the DICOM browser. Returns false
  // when cancelled. Throws twinplan::Error.
  bool importDicom(const std::filesystem::path& path);
  // Loads a volume series in the background as a new case. False when cancelled.
  bool loadSeries(const io::DicomSeries& series);
  // Several dropped files/folders, imported together. Throws twinplan::Error.
  void importDroppedFiles(const std::vector<std::filesystem::path>& paths);
  bool saveCaseAs(const std::filesystem::path& file);

  // ---- several series in a case (main_window_series.cpp) ----
  // Adds `series` to the open case (undoable); without an open case, opens it as a new case.
  // A series of another patient is refused (Error(InvalidInput)) unless `ask` and the user says
  // to add it anyway. False when cancelled or declined.
  bool addSeriesToCase(const io::DicomSeries& series, bool ask = true);
  // Removes volume `index` with its series reference and registrations (undoable).
  void removeSeriesFromCase(std::size_t index);

  // ---- radiotherapy dose (main_window_dose.cpp) ----
  // Adds an RT Dose to the open case as a result (engine::importDose, undoable) and shows it:
  // a colour wash with isodose lines (dose_display.h). False when cancelled; throws
  // twinplan::Error for a dose in another frame of reference or not in Gy.
  bool addDose(const std::filesystem::path& rtdose);
  // A + B (difference false) or A - B of two doses of the case, each given by its result id
  // (or a name only it has), as a new result (engine::combineDoses, the "combine-doses" job's
  // function; undoable), shown at once: a sum with its isodoses, a difference in a diverging
  // wash. False when cancelled; the engine's errors (no such dose, a shared name, not a dose,
  // grids that differ) are thrown.
  bool combineDoses(const std::string& a, const std::string& b, bool difference);
  // The surfaces of the shown result drawn in 3D (isodoses of a dose, isotherms ...), as last
  // delivered by the background builder; empty without a result shown.
  std::vector<SurfaceMesh> isodoseSurfaces() const;

  // ---- the shown result (main_window_results.cpp, issue #19 item 8) ----
  // The result field (by its id, ScalarField::id; empty: none) that the 2D overlay and the 3D
  // surfaces show, as the toolbar's "resultChooser" sets it (its items' data are the ids; their
  // text the names, with the id when two results share a name); a new result is chosen when it
  // arrives. Throws Error(NotFound) for an id the case has no result of.
  void chooseResultById(const std::string& id);
  // The same by name (the newest result of that name when several have it); Error(NotFound)
  // for a name no result has.
  void chooseResult(const std::string& name);
  const ScalarField* shownResult() const;
  std::string shownResultName() const;
  std::string shownResultId() const;
  // Renames the shown result (Rename…: Display toolbar, View menu; undoable): it keeps its id, so
  // it stays shown and chosen wherever it was (RT panel, plan records). Error(InvalidInput) when no
  // result is shown or the name is empty.
  void renameShownResult(const std::string& name);
  // The 3D surfaces are built off the GUI thread: true while a build runs or waits.
  bool resultSurfacesPending() const;
  IsosurfaceBuilder* isosurfaceBuilder() const;

  // ---- radiotherapy plans and the RT panel (main_window_rt.cpp, issue #19 item 8) ----
  RtPanel* rtPanel() const { return rt_; }
  // Reads an RT Plan in the background and adds it to the case (undoable). False when
  // cancelled; Error(InvalidInput) for a plan in another frame of reference than the case's
  // images, and io::readRtPlan's errors.
  bool addRtPlan(const std::filesystem::path& rtplan);
  // The dose the isodoses are percentages of: typed in the panel, else the chosen plan's
  // prescription; nullopt: the shown dose's maximum.
  std::optional<double> doseReference_Gy() const;
  // nullopt: back to the prescription (or the maximum). Error(InvalidInput) for <= 0 Gy.
  void setDoseReference(std::optional<double> reference_Gy);
  // DVHs of the shown dose for every segment of the case, in the background, into the RT
  // panel's chart, figures and QUANTEC constraint table. False when cancelled; Error(InvalidInput)
  // when no dose is shown or the case has no segments, and dvh.h's errors.
  bool computeDvhs();
  // The chosen plan's beams as drawn in 3D (central axis, field outline, divergent edges); the
  // RT panel's beam's-eye view shows the beam chosen in its table.
  std::vector<BeamDrawing> shownBeams() const;
  // Makes a conformal photon plan on the case in the background (engine::planConformalInCase:
  // the "plan-conformal" job's parameters ptv, oars, beams, prescription_gy ...), behind a
  // progress dialog with Cancel, and stores the plan and its dose as ONE undoable step; the new
  // plan is chosen in the RT panel and its dose shown. False when cancelled; throws the
  // planner's Error (unknown segment, bad objective, undeliverable aperture).
  bool planConformal(const nlohmann::json& parameters);
  // Writes the chosen plan (RT panel) of the open case as RS.dcm, RP.dcm and RD.dcm in `folder`
  // (engine::exportCasePlan, the "export-plan" job's function) in the background, behind a
  // progress dialog with Cancel; nothing is left in the folder when cancelled or refused.
  // Returns the export's report (its JSON), nullopt when cancelled; throws the engine's Error
  // (no plan chosen, no dose or segments, CT files gone, a folder it cannot write in).
  std::optional<nlohmann::json> exportPlan(const std::filesystem::path& folder);
  // The chosen plan's beam central axes as a 2D view draws them (projected into its slice).
  rendering::BeamOverlay& beamOverlay(rendering::SliceOrientation orientation) const;
  // The glioma twin (engine/glioma_twin.h, main_window_glioma.cpp) in the background, behind a
  // progress dialog with Cancel: calibrated from the case's follow-up scans, or its regimens
  // predicted; stored as ONE undoable step and shown in the RT panel's glioma twin box. False
  // when cancelled; throws the engine's Error (fewer than two scans, unknown segment, no
  // calibrated twin to predict with, a regimen it cannot read).
  bool calibrateGliomaTwin(const engine::GliomaTwinOptions& options);
  bool predictGliomaTwin(const engine::GliomaTwinOptions& options);

  // ---- registration (main_window_registration.cpp) ----
  // Registers `moving` onto `fixed` (volume names) with `method` ("rigid" | "affine" |
  // "bspline") in the background, behind a progress dialog with Cancel, and stores the result
  // undoably (edits::setRegistration); the moving series is then fused over the fixed one.
  // False when cancelled; throws twinplan::Error when the pair cannot be registered.
  bool registerSeries(const std::string& fixed, const std::string& moving,
                      const std::string& method);
  // "Register…": asks for the pair and the method (RegistrationDialog), then registerSeries;
  // errors are shown as messages. False when cancelled or failed.
  bool registerDialog();
  // Removes the registration that brings `moving` onto another series (undoable).
  void removeRegistrationOf(const std::string& moving);
  // Where a file is read or written: a file dialog by default; tests inject a chooser.
  // Returns an empty path when the user cancels.
  using PathChooser =
      std::function<std::filesystem::path(const QString& title, const QString& filter, bool save)>;
  void setPathChooser(PathChooser chooser) { pathChooser_ = std::move(chooser); }
  // Writes the registration that brings `moving` onto another series as an ITK transform file
  // (.tfm, fixed -> moving). False when cancelled; throws twinplan::Error.
  bool exportRegistration(const std::string& moving);
  // Reads an ITK transform file as the registration fixed -> moving (volume names), or a DICOM
  // Spatial Registration object (.dcm), whose two Frame of Reference UIDs pick the series (the
  // names are then ignored); stores it undoably and fuses. False when cancelled; throws
  // twinplan::Error.
  bool importRegistration(const std::string& fixed, const std::string& moving);
  // Series > Export registration as DICOM…: writes the registration that brings `moving` onto
  // another series as a DICOM Spatial Registration object (io/dicom_registration.h) that
  // references both series' files, which must be listed in the DICOM browser. A B-spline is
  // refused (Error(Unsupported)): a Deformable Spatial Registration is not written. False when
  // cancelled; throws twinplan::Error.
  bool exportRegistrationAsDicom(const std::string& moving);
  // "Resample moving onto fixed": the registered series `moving` resampled (trilinear) onto its
  // fixed series' grid through its registration, added to the case as a new series in the fixed
  // series' frame of reference (undoable). False when cancelled; throws twinplan::Error.
  bool resampleRegistered(const std::string& moving);
  // ---- thermal ablation (main_window_ablation.cpp) ----
  AblationPanel* ablationPanel() const { return ablation_; }
  // The simulated box around the probe (ablation/grid_builder.h; several probes: centred
  // between them and widened by their spread) and the solver's time step; the defaults are the
  // ablate job's (engine/src/ablate_job.cpp).
  struct AblationRunOptions {
    double boxSize_mm = 100.0, spacing_mm = 1.0, timeStep_s = 5.0;
  };
  void setAblationRunOptions(const AblationRunOptions& run) { ablationRun_ = run; }
  // Runs the probes' full bioheat simulation in the background (progress, Cancel) on the
  // background series and the case's segments, and stores as one undoable step the maximum-
  // temperature and damage fields, the zone as the segment "Ablation zone" of the first label
  // map, and the set-up with its margin report as the case's ablation Plan. False when cancelled
  // (the case is then unchanged); throws twinplan::Error for a set-up that cannot be simulated.
  bool simulateAblation(const AblationSetup& setup, const AblationRunOptions& run);
  bool simulateAblation(const AblationSetup& setup) {
    return simulateAblation(setup, ablationRun_);
  }
  // The live predicted zone (ablation_preview.h): the previewer computing it off the GUI thread
  // and the last update shown (nullptr: none; hidden when the panel's live preview is off).
  ZonePreviewer* zonePreviewer() const { return previewer_; }
  std::shared_ptr<const ZonePreview> ablationPreview() const { return preview_; }
  // The margin map the views show (ablation_margin_map.h): the simulated zone's while the
  // case's plan was simulated for the panel's set-up, else the live prediction's; nullptr: none.
  std::shared_ptr<const MarginMapDisplay> shownMarginMap() const { return shownMargin_; }
  // The LPS bounds (xmin, xmax, ymin, ymax, zmin, zmax) of the probe drawn in 3D as shown now:
  // its active part, or its insulated shaft; nullopt when that part is not drawn.
  std::optional<std::array<double, 6>> probeBoundsIn3D(bool activePart) const;
  // Every label map of the case as the 2D views show them, and the live predicted zone.
  std::vector<rendering::SliceView::ShownLabelMap> shownLabelMaps() const;
  // ---- View in headset (main_window_headset.cpp, issue #20 item 4) ----
  // Shows the case's 3D models in the OpenXR headset: a separate process (HeadsetLink) that
  // follows this window's segment and model visibility, with its left eye mirrored in the
  // "Headset" panel. Returns false, with a message, when it cannot start (no models); a missing
  // runtime or a runtime that dies is reported by a message box when the process says so.
  bool startHeadsetView();
  void stopHeadsetView();
  HeadsetLink* headsetLink() const { return headset_; }
  // ---- the window as a teaching / headset peer (main_window_teaching.cpp, issue #20) ----
  // The Teaching session dialog (View > Teaching session…), made on first use.
  TeachingDialog* teachingDialog();
  // The 2D view whose slice this window shares with its headset and participants: the one the
  // user last scrolled or pointed in (nullptr before that; the axial view is shared then).
  SliceViewport* sharedSliceView() const;
  // ---- tissue shift (main_window_shift.cpp, issue #18 item 8) ----
  ShiftPanel* shiftPanel() const { return shift_; }
  // Runs the scenario in the background (progress, Cancel) on the case and stores its whole
  // result as one undoable step (engine/tissue_shift.h). False when cancelled (the case is then
  // unchanged); throws twinplan::Error for a scenario that cannot be simulated.
  bool simulateTissueShift(const engine::TissueShiftParameters& parameters);
  // The live liver tool: grabs the organ (the panel's organ, direction, tip radius and mesh
  // size; at the first surface point along the direction) behind a progress dialog, then each
  // move of the panel's Push slider is one co-rotational update off the GUI thread (coalesced)
  // and the organ's moved 3D model is drawn over the original. A left press on the organ in a 2D
  // view then drags it: on the tool's tip the drag goes on from there, elsewhere the tool grabs
  // the organ anew where the mouse was pressed (LiveToolSession::regrab). False when cancelled;
  // throws twinplan::Error when the organ cannot be grabbed.
  bool grabOrgan();
  void releaseOrgan();
  LiveToolDriver* liveTool() const { return liveTool_; }
  // The organ's model as the last live update moved it (empty: none yet).
  const SurfaceMesh& liveOrganSurface() const;
  // The live tool's offset from its grab point now (LPS mm): the slider's push along the tool's
  // direction plus any drag of the organ in a 2D view.
  Vec3 liveToolOffset_mm() const;
  Vec3 liveToolGrab_lps() const;  // where the organ is held by the live tool now
  // The tissue-shift layers (arrows, contours, tool tip) of a 2D view.
  rendering::ShiftOverlay& shiftOverlay(rendering::SliceOrientation orientation) const;
  // ---- landmarks (main_window_landmarks.cpp) ----
  LandmarkPanel* landmarkPanel() const { return landmarks_; }
  // "Register by landmarks": the rigid transform through the complete pairs of `session`
  // stored undoably as the registration of session.moving onto session.fixed (method
  // "landmark"), with its residuals and leave-one-out TRE in Registration::quality; the moving
  // series is then fused over the fixed one. Throws Error(InvalidInput) for fewer than 3
  // complete pairs, pairs on one line or a series registered to itself.
  void registerByLandmarks(const LandmarkSession& session);
  // The Landmarks panel's pairs to / from a landmark JSON file (registration/landmarks.h), the
  // file chosen through the path chooser. False when cancelled; throws twinplan::Error.
  bool saveLandmarks();
  bool loadLandmarks();
  // The volume every view shows (by name), and the one fused over it (empty: none). A
  // foreground that is not registered to the background is refused with a status message.
  void setBackgroundSeries(const std::string& volumeName);
  void setForegroundSeries(const std::string& volumeName);
  void setFusion(const FusionSettings& settings);
  // Window/level of the foreground series, in its unit (SUV for PET).
  void setForegroundWindow(const rendering::WindowLevel& window);
  const std::string& backgroundSeries() const { return background_; }
  const FusionSettings& fusionSettings() const { return fusion_; }
  SeriesPanel* seriesPanel() const { return seriesPanel_; }
  // How the views are now, as saved in Case::viewState (save and autosave write it).
  ViewState viewState() const;
  // Writes the autosave copy now if anything changed since the last one (the timer calls this
  // every minute). Returns true when a copy was written.
  bool autosaveNow();
  // Closed surface models of the ticked segments of the first labelmap, built in the
  // background; replaces earlier models of the same segments (undoable). False when cancelled
  // or when there is nothing to build.
  bool buildModels();
  // Runs a job file (engine/jobs.h: {"job": ..., "parameters": ...}) in the background with
  // progress and Cancel, and says how it ended; a case it wrote can be opened from there (with
  // ask = false the window opens it at once). Throws twinplan::Error for a file that is not a
  // valid job; the job's own failures are in the returned status.
  JobStatus runJobFile(const std::filesystem::path& file, bool ask = true);
  // Offers (or, with ask = false, performs) recovery of an autosave left by a crash.
  bool recoverAutosave(bool ask);

  const Case& currentCase() const;
  CaseDocument* document() const { return document_; }
  // Imports chosen files: one DICOMDIR, folder or file is scanned; several files are read as
  // a drop is (what File > Import DICOMDIR or files does once the dialog is accepted).
  void importFiles(const QStringList& files);
  DicomBrowser* dicomBrowser() const { return browser_; }
  DisplayListPanel* modelsPanel() const { return models_; }
  DisplayListPanel* segmentsPanel() const { return segments_; }
  void setLayout(Layout layout);
  void setTool(Tool tool);
  void setWindowLevel(const rendering::WindowLevel& wl);
  void setCrosshair(const Vec3& p_lps);
  SliceViewport* sliceViewport(rendering::SliceOrientation orientation) const;
  VolumeViewport* volumeViewport() const { return volume_; }
  // Segments (main_window_segments.cpp): the table (its current segment is the one the
  // editing tools work on), the comparison panel, and the 3D scissors.
  SegmentTable* segmentTable() const { return segmentTable_; }
  SegmentComparisonPanel* comparisonPanel() const { return comparison_; }
  // Cuts the table's current segment with a lasso drawn in the 3D view (one undoable edit).
  // False, with the reason in the status bar, when no segment is current or it is locked.
  bool cutCurrentSegment(const segmentation::ScissorsCut& cut);
  // The Segment Editor dock (main_window_editor.cpp); its keys work while the dock is shown.
  SegmentEditor* segmentEditor() const { return editor_; }

  // Puts `dock` in the right-hand dock area among the panels of its workflow: one tab group
  // whose tabs run down the window's right edge, so every name reads whole at 1280 px, ordered
  // by workflow (images, segmenting, planning, presenting). A dock added again moves. The docks
  // built before the window's constructor ends are placed by arrangeWorkflowDocks
  // (main_window.cpp, kWorkflowDocks): a new right-hand panel is added there, or calls this.
  void addWorkflowDock(QDockWidget* dock, Workflow workflow);

 protected:
  void closeEvent(QCloseEvent* event) override;
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void arrangeWorkflowDocks();
  void buildDocks();
  void buildEditorDock();
  void linkEditorToSegmentTable();  // one current segment for the table and the editor
  void rebuildShownModels(std::size_t labelMap, const std::vector<std::size_t>& segments);
  void buildMenus();
  void buildToolbar();
  void showCase();
  void showCaseIn3D();
  void showLayoutFor(const ImageVolume* image);
  void showMeshesIn3D();
  void buildDisplayDocks();
  void buildSegmentDocks();
  void showLabelMaps();  // after the label maps changed: re-point the views, refresh lists
  void showDisplayLists();
  QWidget* withBuildButton(QWidget* segmentList);
  void showDisplay(CaseDocument::Shown what, std::size_t index);
  void showMeasurements();
  void pickPoint(const SliceViewport& viewport, const Vec3& p_lps);
  void showCursor(const Vec3& p_lps, bool inside);
  void refreshCursorReadout();
  void updateOverlays();
  void updateSliders();
  void newCase();
  void showSkippedFiles();
  void updateTitle();
  bool confirmDiscard();
  void openCaseDialog();
  void importDialog();
  void importFilesDialog();
  void runJobDialog();
  void addDoseDialog();
  void connectResultDisplay();
  void listResults();  // the chooser after the case's results changed
  void showResult();   // the chosen result in 2D, and its 3D surfaces requested
  void showResultSurfaces(std::vector<SurfaceMesh> surfaces);
  void buildRtDock();
  void addRtPlanDialog();
  void planConformalDialog();
  void exportPlanDialog();
  void showRtReference();
  void showBeams();     // the chosen plan's beams in 3D, and the beam's-eye view
  void showBeamsEye();  // the chosen beam with the case's structures projected
  void connectGliomaTwin();
  void showGliomaTwin();  // the case's stored twin (of the chosen segment) in the RT panel
  bool runGliomaTwin(const QString& title, const QString& done,
                     const std::function<engine::GliomaTwinOutcome(const Case&, Progress&)>& work);
  void saveCase();
  void saveCaseAsDialog();
  void saveScreenshotDialog();
  void saveViewScreenshotDialog();
  void rememberRecent(const std::filesystem::path& file);
  void updateRecentMenu();
  void deleteSelectedMeasurement();
  void renameMeasurement(int row);
  void showError(const QString& title, const std::exception& error);
  // Series and fusion (main_window_series.cpp).
  void buildSeriesDock();
  // Series menu: export / import for the series selected in the Series panel, errors shown.
  void exportSelectedRegistration();
  void importSelectedRegistration();
  void resampleSelectedSeries();
  void exportSelectedRegistrationAsDicom();
  // The path chooser, or a file dialog without one.
  std::filesystem::path choosePath(const QString& title, const QString& filter, bool save);
  const Registration& registrationOf(const std::string& moving, const std::string& what) const;
  const io::DicomSeries& dicomSeriesOf(const std::string& volumeName) const;
  // Landmarks (main_window_landmarks.cpp).
  void buildLandmarkDock();
  // Headset (main_window_headset.cpp).
  void buildHeadsetDock();
  void showHeadsetMessage(const QString& title, const QString& message);
  // The 3D view's volume rendering changed (the Volume button, the preset, another image):
  // redraws it, and a running headset view follows.
  void volumeDisplayChanged();
  // Teaching and headset peers (main_window_teaching.cpp): what this window shares as a
  // presenter (the headset's session and the dialog's, when presenting) and what it draws of
  // a presenter it follows.
  std::vector<teaching::Presenter*> peerSessions() const;
  void shareEverythingWith(teaching::Presenter& session);  // a session that just started
  void shareSlice(std::size_t view);
  void shareSliceAfterMove();  // after the crosshair moved: the view whose slice moved
  // The 2D views' crosshair (the point that links them: all three slices) and display window.
  void shareLinkedViews();
  void shareLinkedViewsWith(teaching::Presenter& session);
  void sharePointer(std::size_t view, const Vec3& p_lps, bool inside);
  void sharePointerIn3D(const Vec3& p_lps, const Vec3& direction, bool hit);
  void shareAnnotations();  // the case's measurements as the presenter's annotations
  void shareResult();       // the Result chooser's field and its 3D levels
  // A followed presenter's crosshair, window, slice, result, pointer and annotations.
  void followPresenter();
  void followLinkedViews(const teaching::SessionState& state);  // its crosshair and window
  // Moves the crosshair so the view of `orientation` shows the slice at `position_mm` (LPS
  // along its axis): a followed presenter's or the headset's slice.
  void showSharedSlice(const std::string& orientation, double position_mm);
  // The headset's controllers (issue #20 item 3): a segment shown or hidden by its name, a ruler
  // measured between two surface points, stored in the case as the window's own.
  void showSegmentFromHeadset(const std::string& segment, bool visible);
  void addHeadsetRuler(const Vec3& from_lps, const Vec3& to_lps);
  // Ablation (main_window_ablation.cpp).
  void buildAblationDock();
  void buildShiftDock();
  void showShiftOverlay();  // the last shift's |u| washed over the 2D views, or nothing
  void showShiftLayers();   // its arrows and contours (shift_overlay.h), as the panel asks
  void showShiftIn3D(bool resultShown);  // the volume rendering hidden while a result is shown
  bool dragToolIn(SliceViewport& view, QMouseEvent& event);  // true: the live tool took it
  void moveLiveTool(const Vec3& offset_mm, int iterations);
  void showToolTip();  // the live tool's tip in the 2D views, where the scene has it
  void showLiveFrame(std::shared_ptr<const LiveToolFrame> frame);
  void restoreAblation();  // the panel from the case's ablation plan
  void showProbe();        // entry -> tip line and its T/E rings in the 2D views
  // The simulated margin map, rebuilt from the distance field stored with the case.
  void restoreSimulatedMargin(const Plan& plan);
  // The probe's tip ("T") and entry ("E") as rings after the landmarks' (so they can be
  // dragged like landmarks), and a ring of them dragged to `p_lps` (`final`: released).
  std::vector<rendering::SliceView::LandmarkMarker> probeMarkers() const;
  void moveProbeMarker(std::size_t probeMarker, const Vec3& p_lps, bool final);
  void showFieldOverlay();    // the ablation field the panel chooses (or the case's first field)
  void storeAblationSetup();  // the panel's set-up into the case's ablation Plan (undoable)
  void requestZonePreview(const AblationSetup& setup);  // off-thread, coalesced
  void showZonePreview(std::shared_ptr<const ZonePreview> preview);
  void showProbeIn3D(const AblationSetup& setup);
  // Every probe's line in the 2D views (the current one emphasised) and the 3D view's handles.
  void showProbeLines(const AblationSetup& setup);
  void showMarginMap();  // picks the margin map to show, in 3D, 2D and the panel's legend
  void storeAblationResult(const AblationSetup& setup, const AblationOutcome& outcome);
  void showLandmarkPlacing();  // the placing side's series as background, views in pick mode
  void showLandmarkMarkers();  // the background series' landmarks in the 2D views
  void restoreLandmarks();     // from the case's view state, after the case was replaced
  // A case opened in a fresh session: its series' files (Case::series) are scanned into the
  // DICOM browser when the browser does not list them; files that moved are reported.
  void listCaseSeriesInBrowser();
  const ImageVolume* backgroundVolume() const;
  const ImageVolume* beginShowingSeries();  // showCase(): picks the background from viewState
  void finishShowingSeries();               // showCase(): restores the rest of the view state
  void showSeries();                        // after the case's volumes or registrations changed
  void pointViewsAtBackground();
  void applyFusion();
  void showSeriesLists();
  void addDroppedSeriesToCase();
  void applyCameras();
  QString foregroundReadout(const Vec3& p_lps) const;  // "   PT 3.21 SUVbw", or empty

  CaseDocument* document_ = nullptr;
  PathChooser pathChooser_;
  Autosaver autosaver_;
  QTimer* autosaveTimer_ = nullptr;
  Layout layout_ = Layout::FourUp;
  std::optional<Layout> layoutBefore2D_;  // set while a 2D image holds the 1-up layout
  Tool tool_ = Tool::Navigate;
  std::vector<Vec3> pendingPoints_;
  std::array<SliceViewport*, 3> slices_{};
  std::array<QWidget*, 3> slicePanels_{};  // a view with its slice slider
  std::array<QSlider*, 3> sliceSliders_{};
  VolumeViewport* volume_ = nullptr;
  QWidget* viewArea_ = nullptr;
  QGridLayout* grid_ = nullptr;
  QLabel* readout_ = nullptr;
  DicomBrowser* browser_ = nullptr;
  QListWidget* measurementList_ = nullptr;
  DisplayListPanel* models_ = nullptr;
  DisplayListPanel* segments_ = nullptr;
  SegmentTable* segmentTable_ = nullptr;
  SegmentComparisonPanel* comparison_ = nullptr;
  QActionGroup* toolActions_ = nullptr;
  QMenu* recentMenu_ = nullptr;
  VtkViewport* activeViewport_ = nullptr;
  // Links to dropped files; kept while the window lives, since the browser keeps listing them.
  std::vector<std::unique_ptr<QTemporaryDir>> dropFolders_;
  std::vector<std::string> lastImportedSeries_;  // SeriesInstanceUIDs of the last import
  SeriesPanel* seriesPanel_ = nullptr;
  SegmentEditor* editor_ = nullptr;
  int modelRebuilds_ = 0;  // which background rebuild of the edited models is the latest
  LandmarkPanel* landmarks_ = nullptr;
  AblationPanel* ablation_ = nullptr;
  HeadsetLink* headset_ = nullptr;
  QAction* headsetAction_ = nullptr;
  QLabel* headsetMirror_ = nullptr;
  ShiftPanel* shift_ = nullptr;
  LiveToolDriver* liveTool_ = nullptr;
  std::shared_ptr<ShiftScene> shiftScene_;  // the live tool's actors in 3D
  AblationRunOptions ablationRun_;
  ZonePreviewer* previewer_ = nullptr;
  std::shared_ptr<const ZonePreview> preview_;
  std::vector<std::pair<Workflow, QDockWidget*>> workflowDocks_;  // in tab order
  std::shared_ptr<const MarginMapDisplay> simulatedMargin_;       // of the last Simulate
  const float* simulatedMarginSource_ = nullptr;  // the stored distance field it was built from
  std::shared_ptr<const MarginMapDisplay> shownMargin_;
  std::shared_ptr<AblationScene> ablationScene_;  // the probe and preview actors in 3D
  std::shared_ptr<ResultScene> results_;          // the result chooser, its 3D surfaces, RT state
  std::shared_ptr<TeachingScene> teaching_;       // shared slice, the followed presenter's marks
  RtPanel* rt_ = nullptr;
  // The background and foreground before landmark placing switched the views to a series.
  std::optional<std::pair<std::string, std::string>> beforePlacing_;
  std::string background_;       // volume name
  std::string shownBackground_;  // the volume the views were last pointed at
  FusionSettings fusion_;
  std::map<std::string, rendering::WindowLevel> windows_;  // by volume name
  std::map<std::string, ViewCamera> pendingCameras_;       // restored zoom/pan, by view
  QTimer* flickerTimer_ = nullptr;
  int casesShown_ = 0;       // which showCase() a deferred 3D step belongs to
  bool autosaving_ = false;  // an autosave is being written (its event loop is running)
};

}  // namespace twinplan::ui
