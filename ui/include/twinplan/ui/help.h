#pragma once
// The Help menu's windows: the user guide (docs/user-guide.md, rendered from Markdown) and
// "About TwinPlan" (version, licence, third-party licences).
#include <QString>
#include <filesystem>
#include <optional>

class QDialog;
class QWidget;

namespace twinplan::ui {

// docs/user-guide.md where this program finds it: installed beside the program
// (<prefix>/bin/twinplan -> <prefix>/share/doc/twinplan/user-guide.md, installer/
// Packaging.cmake), else in the source tree the program was built from (a developer's build).
// Nothing when neither exists.
std::optional<std::filesystem::path> userGuideFile();

// A non-modal window showing the user guide (object name "userGuide"), or a message saying
// where it was looked for. The window deletes itself when closed.
QDialog* showUserGuide(QWidget* parent);

// The about text (rich text): TwinPlan's version from the build, its licence (Apache-2.0) and
// the licences of the libraries it links, as their Debian copyright files state them.
QString aboutText();
// A non-modal window with aboutText() (object name "aboutTwinPlan"); deletes itself on close.
QDialog* showAbout(QWidget* parent);

}  // namespace twinplan::ui
