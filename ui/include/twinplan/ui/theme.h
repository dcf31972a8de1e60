#pragma once
class QApplication;
namespace twinplan::ui {
// A calm dark theme (Fusion style, dark palette): images read best on a dark surround.
void applyDarkTheme(QApplication& app);
}  // namespace twinplan::ui
