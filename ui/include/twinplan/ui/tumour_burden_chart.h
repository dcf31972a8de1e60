#pragma once
// The glioma twin's predicted tumour burden over time (issue #19 item 8): per regimen the median
// enhancing (T1-Gd) volume over the posterior samples as a line and its 5th-95th percentile band
// shaded in the same colour, days from the first fraction along x, ml along y, and the
// progression level (the pre-treatment volume) dashed. Drawn with QPainter like DvhChart (Qt
// Charts is GPL-3 for open-source use).
#include <QPointF>
#include <QString>
#include <optional>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/ui/hover_chart.h"

namespace twinplan::ui {

struct BurdenCurve {
  QString label;  // "60 Gy / 30"
  Rgb colour;
  std::vector<double> day, median_ml, low_ml, high_ml;
};

class TumourBurdenChart : public HoverChart {
  Q_OBJECT
 public:
  explicit TumourBurdenChart(QWidget* parent = nullptr);

  void setCurves(std::vector<BurdenCurve> curves, std::optional<double> progressionLevel_ml);
  const std::vector<BurdenCurve>& curves() const { return curves_; }
  std::optional<double> progressionLevel_ml() const { return progression_ml_; }
  // The axes: 0..the last day and 0..above the highest band, both ending on a tick.
  double dayAxisMax() const { return dayMax_; }
  double volumeAxisMax_ml() const { return volumeMax_ml_; }
  // toWidget / fromWidget (HoverChart) take (day, ml).
  // The readout for the mouse at `position`: the day and each regimen's median (band) there,
  // linearly interpolated between report days; empty outside the plot.
  QString readoutAt(const QPointF& position) const override;

 protected:
  ChartFrame frame() const override;
  void paintEvent(QPaintEvent* event) override;

 private:
  std::vector<BurdenCurve> curves_;
  std::optional<double> progression_ml_;
  double dayMax_ = 1.0, volumeMax_ml_ = 1.0;
};

// `values` at `day` on the piecewise-linear curve through (days, values); none outside.
std::optional<double> interpolateAtDay(const std::vector<double>& days,
                                       const std::vector<double>& values, double day);

}  // namespace twinplan::ui
