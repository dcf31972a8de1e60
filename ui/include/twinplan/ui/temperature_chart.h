#pragma once
// Temperature over time at chosen points after an ablation run (issue #17 items 2 and 5): one
// curve per point in its colour, time in s along x, temperature in degC along y, the 60 degC of
// near-instant coagulation dashed (Goldberg SN et al., AJR 2000;174:323-331), a legend, and a
// readout of the curves under the mouse. The samples are the solver's recorded temperatures,
// as `twinplan-cli ablate --probe-point` gives them (JSON probe_points). Drawn with QPainter
// like DvhChart (Qt Charts is GPL-3 for open-source use).
#include <QPointF>
#include <QString>
#include <vector>

#include "twinplan/core/label_map.h"
#include "twinplan/ui/hover_chart.h"

namespace twinplan::ui {

struct TemperatureCurve {
  QString label;  // "Tumour centre"
  Rgb colour;
  std::vector<double> time_s;
  std::vector<double> temperature_degC;
};

// The temperature of near-instant coagulation the chart marks (degC).
inline constexpr double kCoagulation_degC = 60.0;

class TemperatureChart : public HoverChart {
  Q_OBJECT
 public:
  explicit TemperatureChart(QWidget* parent = nullptr);

  void setCurves(std::vector<TemperatureCurve> curves);
  const std::vector<TemperatureCurve>& curves() const { return curves_; }
  // The points curve `curve` is drawn through, (time s, temperature degC): its samples.
  std::vector<QPointF> plottedPoints(std::size_t curve) const;
  // The axes: 0..the last time and 0..above the hottest sample and 60 degC, ending on ticks.
  double timeAxisMax_s() const { return timeMax_s_; }
  double temperatureAxisMax_degC() const { return temperatureMax_degC_; }
  // The readout for the mouse at `position`: the time and each curve's temperature there,
  // linearly interpolated between samples; empty outside the plot.
  QString readoutAt(const QPointF& position) const override;

 protected:
  ChartFrame frame() const override;
  void paintEvent(QPaintEvent* event) override;

 private:
  std::vector<TemperatureCurve> curves_;
  double timeMax_s_ = 1.0, temperatureMax_degC_ = 100.0;
};

}  // namespace twinplan::ui
