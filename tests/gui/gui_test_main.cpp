// The main of every GUI test that needs nothing special: GL format, QApplication, dark theme,
// then GoogleTest. Tests that must control process start-up (crash recovery forks before any
// QApplication exists) define their own main and do not link this.
#include <gtest/gtest.h>

#include <QApplication>

#include "twinplan/ui/theme.h"
#include "twinplan/ui/vtk_viewport.h"

int main(int argc, char** argv) {
  twinplan::ui::VtkViewport::setDefaultSurfaceFormat();
  QApplication app(argc, argv);
  twinplan::ui::applyDarkTheme(app);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
