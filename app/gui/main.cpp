// twinplan: the desktop workstation. A thin main: options, theme, main window.
//   twinplan [--case FILE] [--import DICOM] [--layout 4up|1up|1+3] [--screenshot out.png]
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>
#include <iostream>

#include "twinplan/core/error.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/theme.h"
#include "twinplan/ui/vtk_viewport.h"

int main(int argc, char** argv) {
  // Debian's VTK loads OpenGL through GLX (DESIGN.md section 4): in a Wayland session, run on
  // its X server (XWayland) unless the user chose a platform.
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && !qEnvironmentVariableIsEmpty("DISPLAY"))
    qputenv("QT_QPA_PLATFORM", "xcb");
  twinplan::ui::VtkViewport::setDefaultSurfaceFormat();
  QApplication app(argc, argv);
  QApplication::setApplicationName("TwinPlan");
  QApplication::setOrganizationName("TwinPlan");
  twinplan::ui::applyDarkTheme(app);

  QCommandLineParser parser;
  parser.setApplicationDescription("TwinPlan planning workstation");
  parser.addHelpOption();
  QCommandLineOption caseOption("case", "Open this case file (.twinplan).", "file");
  QCommandLineOption layoutOption("layout", "View layout: 4up, 1up or 1+3.", "layout", "4up");
  QCommandLineOption screenshotOption("screenshot",
                                      "Save a PNG of the window and quit (headless use).", "png");
  QCommandLineOption importOption("import", "Read this DICOM folder/DICOMDIR into the browser.",
                                  "path");
  QCommandLineOption sizeOption("size", "Window size WxH in logical pixels.", "size", "1400x900");
  parser.addOptions({caseOption, importOption, layoutOption, screenshotOption, sizeOption});
  parser.addPositionalArgument("case", "A case file to open (same as --case).", "[case.twinplan]");
  parser.process(app);

  twinplan::ui::MainWindow window;
  try {
    window.setLayout(twinplan::ui::layoutFromString(parser.value(layoutOption).toStdString()));
    if (parser.isSet(caseOption)) {
      window.openCase(parser.value(caseOption).toStdString());
    } else if (!parser.positionalArguments().isEmpty()) {
      window.openCase(parser.positionalArguments().front().toStdString());
    }
  } catch (const twinplan::Error& e) {
    std::cerr << "twinplan: " << e.what() << '\n';
    return 3;
  }
  const QStringList size = parser.value(sizeOption).split('x');
  if (size.size() == 2) window.resize(size[0].toInt(), size[1].toInt());
  window.show();
  // After a crash, offer the autosaved work (never in headless screenshot runs).
  if (!parser.isSet(screenshotOption)) window.recoverAutosave(/*ask=*/true);
  if (parser.isSet(importOption)) {
    try {
      window.importDicom(parser.value(importOption).toStdString());
    } catch (const twinplan::Error& e) {
      std::cerr << "twinplan: " << e.what() << '\n';
      return 3;
    }
  }

  if (parser.isSet(screenshotOption)) {
    const QString file = parser.value(screenshotOption);
    // Let the views initialise GL and render once before grabbing.
    QTimer::singleShot(800, [&] {
      const twinplan::ui::VtkViewport::RenderAllNow everyView;
      const bool saved = window.grab().save(file, "PNG");
      if (!saved) std::cerr << "twinplan: cannot write " << file.toStdString() << '\n';
      QApplication::exit(saved ? 0 : 7);
    });
  }
  return QApplication::exec();
}
