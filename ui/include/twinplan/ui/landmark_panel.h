#pragma once
// The Landmarks panel (a dock; issue #15 item 3): paired anatomical points on a fixed and a
// moving series, placed by clicking in the 2D views, and the rigid registration through them.
// The table lists each pair (number, name, fixed point, moving point, residual, leave-one-out
// TRE); "Place on fixed" / "Place on moving" arm a pick in the views (the main window shows that
// series as the background meanwhile), markers can be dragged in the views, a pair renamed (edit
// its name) or deleted, and the pairs saved to or loaded from the landmark JSON file
// (registration/landmarks.h); the Delete key clears the point of the selected Fixed or Moving
// cell, or removes the pair from any other cell. The quality of the rigid fit is shown as soon as
// there are 3 complete pairs not on one line. The panel holds the pairs; the main window keeps them
// in the case's view state and stores the registration ("Register by landmarks").
#include <QWidget>
#include <optional>
#include <string>
#include <vector>

#include "twinplan/core/case.h"
#include "twinplan/rendering/slice_view.h"
#include "twinplan/ui/view_state.h"

class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace twinplan::ui {

// The rigid fit of the complete pairs and its errors (registration::rigidLandmarkFit), per pair
// in the order of the session's pairs; empty entries for incomplete pairs.
struct LandmarkQuality {
  bool valid = false;          // a fit exists (>= 3 complete pairs, not on one line)
  std::string problem;         // why not, when !valid
  SpatialTransform transform;  // fixed -> moving
  std::vector<std::optional<double>> residual_mm, leaveOneOut_mm;
  double residualMean_mm = 0.0, residualMax_mm = 0.0;
  std::optional<double> leaveOneOutMean_mm, leaveOneOutMax_mm;
  int pairsUsed = 0;
};
LandmarkQuality landmarkQuality(const LandmarkSession& session);

class LandmarkPanel : public QWidget {
  Q_OBJECT
 public:
  enum class Side { Fixed, Moving };
  enum Column { kNumber, kName, kFixed, kMoving, kResidual, kLeaveOneOut, kColumnCount };

  explicit LandmarkPanel(QWidget* parent = nullptr);
  // Offers the case's volumes as fixed and moving series; a chosen series that left the case is
  // replaced by the first/second volume.
  void showVolumes(const Case& twin);
  const LandmarkSession& session() const { return session_; }
  // Restores pairs (from the view state or a test); the series must be in the last case shown.
  void setSession(LandmarkSession session);
  const LandmarkQuality& quality() const { return quality_; }

  // Which series a click in the views places a point on, if any.
  std::optional<Side> placing() const { return placing_; }
  void setPlacing(std::optional<Side> side);
  std::string volumeOf(Side side) const {
    return side == Side::Fixed ? session_.fixed : session_.moving;
  }
  // A point picked in a view while placing (LPS mm of the placing side's series): it completes
  // the first pair that lacks this side's point, else starts a new pair; the pair is then
  // selected. (So pairs can be placed fixed, moving, fixed, moving ... or all fixed points
  // first; a point placed wrongly is dragged, or its pair deleted.)
  void placePoint(const Vec3& p_lps);
  // Moves a placed point (a marker dragged in a view).
  void movePoint(Side side, std::size_t pair, const Vec3& p_lps);
  void removePair(std::size_t pair);
  // Forgets one point of a pair (to place it again); the pair stays.
  void clearPoint(Side side, std::size_t pair);
  void renamePair(std::size_t pair, const std::string& name);
  int selectedPair() const;  // -1: none
  void selectPair(int pair);

  // The markers of the points that lie in `volume` (numbered as the table), and which pair each
  // marker belongs to.
  struct Markers {
    std::vector<rendering::SliceView::LandmarkMarker> markers;
    std::vector<std::size_t> pairOfMarker;
    std::optional<Side> side;
  };
  Markers markersOn(const std::string& volume) const;

 signals:
  void placingChanged();
  // Any change of the pairs or the series pair (the main window redraws markers and marks the
  // case modified).
  void sessionChanged();
  void registerRequested();
  void loadRequested();
  void saveRequested();

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void refresh();  // table, quality and buttons from session_
  void emitChange();
  QComboBox* fixed_ = nullptr;
  QComboBox* moving_ = nullptr;
  QTableWidget* table_ = nullptr;
  QPushButton* placeFixed_ = nullptr;
  QPushButton* placeMoving_ = nullptr;
  QPushButton* delete_ = nullptr;
  QPushButton* register_ = nullptr;
  QPushButton* save_ = nullptr;
  QLabel* hint_ = nullptr;
  QLabel* summary_ = nullptr;
  LandmarkSession session_;
  LandmarkQuality quality_;
  std::optional<Side> placing_;
  bool refreshing_ = false;
};

}  // namespace twinplan::ui
