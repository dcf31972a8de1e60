#pragma once
// A dose-volume histogram chart (issue #19 items 4 and 8): one curve per structure in its
// colour, dose in Gy along x; cumulative (volume in % of the structure receiving at least the
// dose) or differential (% of the structure per Gy, as steps over dose bins); a readout of the
// curves under the mouse. Drawn with QPainter in a plain QWidget: Qt Charts is GPL-3 for open
// source, and DESIGN.md section 7 links only permissive or LGPL libraries (Qt Widgets is LGPL).
#include <QPointF>
#include <QString>
#include <optional>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/radiotherapy/dvh.h"
#include "twinplan/ui/hover_chart.h"

namespace twinplan::ui {

// One step of a differential DVH: the structure's volume receiving [from_Gy, to_Gy), in % of
// the structure per Gy.
struct DifferentialBin {
  double from_Gy = 0, to_Gy = 0, percentPerGy = 0;
};

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
  // Differential instead of cumulative (the RT panel's toggle).
  void setDifferential(bool differential);
  bool differential() const { return differential_; }
  // The differential steps a curve is drawn with: the DVH's bins merged kDifferentialSteps to
  // the dose axis (the 4000 bins of dvh.h would draw noise), each the cumulative curve's fall
  // over it: (C(from) - C(to)) / (V (to - from)), so they add up to the structure's volume.
  static constexpr int kDifferentialSteps = 60;
  std::vector<DifferentialBin> differentialBins(std::size_t curve) const;
  // The axes' ranges: 0..maximum dose (Gy) and 0..100 % (cumulative) or 0..a nice end past the
  // highest step (differential).
  double doseAxisMax_Gy() const { return doseMax_Gy_; }
  // toWidget / fromWidget (HoverChart) take (dose Gy, volume %).
  // What the readout says for the mouse at `position` (widget pixels): the dose there and each
  // curve's volume at that dose; empty outside the plot.
  QString readoutAt(const QPointF& position) const override;

 protected:
  ChartFrame frame() const override;
  void paintEvent(QPaintEvent* event) override;

 private:
  void fitVolumeAxis();
  std::vector<DvhCurve> curves_;
  double doseMax_Gy_ = 1.0;
  double volumeMax_ = 100.0;
  bool differential_ = false;
};

// A DVH's volume percent receiving at least `dose_Gy` (Vx in % of its volume).
double volumePercentAtDose(const radiotherapy::DoseVolumeHistogram& dvh, double dose_Gy);

}  // namespace twinplan::ui
