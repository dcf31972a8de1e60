#include "twinplan/ui/help.h"

#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QTextBrowser>
#include <QUrl>
#include <QVBoxLayout>

#ifndef TWINPLAN_VERSION
#define TWINPLAN_VERSION "unknown"  // ui/CMakeLists.txt passes PROJECT_VERSION
#endif
#ifndef TWINPLAN_SOURCE_DOCS
#define TWINPLAN_SOURCE_DOCS ""
#endif

namespace twinplan::ui {

std::optional<std::filesystem::path> userGuideFile() {
  const std::filesystem::path program = QCoreApplication::applicationDirPath().toStdString();
  const std::filesystem::path candidates[] = {
      program / ".." / "share" / "doc" / "twinplan" / "user-guide.md",
      std::filesystem::path(TWINPLAN_SOURCE_DOCS) / "user-guide.md"};
  for (const auto& file : candidates) {
    std::error_code ec;
    if (!file.parent_path().empty() && std::filesystem::is_regular_file(file, ec))
      return std::filesystem::weakly_canonical(file, ec);
  }
  return std::nullopt;
}

namespace {

QDialog* textWindow(QWidget* parent, const QString& name, const QString& title,
                    QTextBrowser*& browser) {
  auto* dialog = new QDialog(parent);
  dialog->setObjectName(name);
  dialog->setWindowTitle(title);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  auto* layout = new QVBoxLayout(dialog);
  browser = new QTextBrowser(dialog);
  browser->setOpenExternalLinks(true);
  layout->addWidget(browser);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
  QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
  layout->addWidget(buttons);
  return dialog;
}

}  // namespace

QDialog* showUserGuide(QWidget* parent) {
  QTextBrowser* browser = nullptr;
  QDialog* dialog = textWindow(parent, "userGuide",
                               QCoreApplication::translate("Help", "TwinPlan user guide"), browser);
  if (const auto file = userGuideFile()) {
    // Relative links and screenshots resolve against the guide's folder.
    browser->setSource(QUrl::fromLocalFile(QString::fromStdString(file->string())),
                       QTextDocument::MarkdownResource);
  } else {
    browser->setPlainText(
        QCoreApplication::translate(
            "Help",
            "The user guide was not found. It is installed as share/doc/twinplan/user-guide.md "
            "beside the program's folder (%1/..); reinstall TwinPlan or read docs/user-guide.md "
            "in the source.")
            .arg(QCoreApplication::applicationDirPath()));
  }
  dialog->resize(860, 760);
  dialog->show();
  return dialog;
}

QString aboutText() {
  // Licences as the Debian 12 copyright files of the linked libraries state them
  // (/usr/share/doc/<package>/copyright) and DESIGN.md section 7.
  const char* libraries[][2] = {
      {"Qt 6 (Core, Gui, Widgets, OpenGL)", "LGPL-3.0 (Qt's open-source licence option)"},
      {"VTK 9.1", "BSD-3-Clause"},
      {"ITK 5.2", "Apache-2.0"},
      {"DCMTK 3.6.7", "BSD-3-Clause-style OFFIS licence (CharLS: BSD-3-Clause)"},
      {"Eigen 3.4", "MPL-2.0"},
      {"oneTBB", "Apache-2.0"},
      {"nlohmann/json", "MIT"},
      {"CLI11 (twinplan-cli)", "BSD-3-Clause"},
      {"libzip", "BSD-3-Clause"},
      {"zlib", "Zlib"},
      {"OpenJPEG", "BSD-2-Clause"},
      {"FreeType (through VTK and Qt)", "FreeType License (FTL)"},
      {"libpng", "libpng licence"},
  };
  QString rows;
  for (const auto& [name, licence] : libraries)
    rows += QString("<tr><td>%1</td><td>&nbsp;&nbsp;%2</td></tr>").arg(name, licence);
  return QCoreApplication::translate(
             "Help",
             "<h2>TwinPlan %1</h2>"
             "<p>Digital-twin planning workstation for CT and MR: segmented, meshed anatomy and "
             "physics for surgical and radiotherapy planning.</p>"
             "<p>Licensed under the Apache License, Version 2.0.</p>"
             "<p><b>Third-party libraries</b> (each under its own licence; the texts are in "
             "/usr/share/doc/&lt;package&gt;/copyright):</p><table>%2</table>"
             "<p>Not a medical device: plans must be checked by a qualified clinician.</p>")
      .arg(QStringLiteral(TWINPLAN_VERSION), rows);
}

QDialog* showAbout(QWidget* parent) {
  QTextBrowser* browser = nullptr;
  QDialog* dialog = textWindow(parent, "aboutTwinPlan",
                               QCoreApplication::translate("Help", "About TwinPlan"), browser);
  browser->setHtml(aboutText());
  dialog->resize(620, 560);
  dialog->show();
  return dialog;
}

}  // namespace twinplan::ui
