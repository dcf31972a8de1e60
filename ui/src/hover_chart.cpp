// The hover readout of the window's charts (hover_chart.h).
#include "twinplan/ui/hover_chart.h"

#include <QMouseEvent>

namespace twinplan::ui {

HoverChart::HoverChart(QWidget* parent) : QWidget(parent) { setMouseTracking(true); }

void HoverChart::mouseMoveEvent(QMouseEvent* event) {
  readout_ = readoutAt(event->position());
  setToolTip(readout_);
  update();
}

void HoverChart::leaveEvent(QEvent*) {
  readout_.clear();
  update();
}

}  // namespace twinplan::ui
