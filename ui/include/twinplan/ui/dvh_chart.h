#pragma once
// A cumulative dose-volume histogram chart (issue #19 item 8): one curve per structure in its
// colour, dose in Gy along x, volume in % of the structure along y, and a readout of the curve
// under the mouse. Drawn with QPainter in a plain QWidget: Qt Charts is GPL-3 for open-source
// use, and DESIGN.md section 7 links only permissive or LGPL libraries (Qt Widgets is LGPL).
#include <QPointF>
#include <QString>
#include <optional>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/radiotherapy/dvh.h"
#include "twinplan/ui/hover_chart.h"

namespace twinplan::ui {

struct DvhCurve {
  radiotherapy::DoseVolumeHistogram dvh;
  Rgb colour;
};

class DvhChart : public HoverChart {
  Q_OBJECT
 public:
  explicit DvhChart(QWidget* parent = nullptr);

  void setCurves(std::vector<DvhCurve> curves);
  const std::vector<DvhCurve>& curves() const { return curves_; }
  // The points a curve is drawn through, in (dose Gy, volume % of the structure): the DVH's
  // cumulative bins n x binWidth_Gy (the last bin with volume and the first at zero).
  std::vector<QPointF> plottedPoints(std::size_t curve) const;
  // The axes' ranges: 0..maximum dose (Gy) and 0..100 %.
  double doseAxisMax_Gy() const { return doseMax_Gy_; }
  // toWidget / fromWidget (HoverChart) take (dose Gy, volume %).
  // What the readout says for the mouse at `position` (widget pixels): the dose there and each
  // curve's volume at that dose; empty outside the plot.
  QString readoutAt(const QPointF& position) const override;

 protected:
  ChartFrame frame() const override;
  void paintEvent(QPaintEvent* event) override;

 private:
  std::vector<DvhCurve> curves_;
  double doseMax_Gy_ = 1.0;
};

// A DVH's volume percent receiving at least `dose_Gy` (Vx in % of its volume).
double volumePercentAtDose(const radiotherapy::DoseVolumeHistogram& dvh, double dose_Gy);

}  // namespace twinplan::ui
