#pragma once
// "Register…" (issue #15 item 3): which series of the case is the reference (fixed), which one
// is brought onto it (moving), and how (rigid, affine, B-spline). It only asks; the main window
// runs the registration and stores the result (main_window_registration.cpp).
#include <QDialog>
#include <string>

#include "twinplan/core/case.h"

class QComboBox;
class QLabel;
class QPushButton;

namespace twinplan::ui {

class RegistrationDialog : public QDialog {
  Q_OBJECT
 public:
  // Offers the volumes of `twin`; `fixed` and `moving` (names, may be empty) are preselected.
  RegistrationDialog(const Case& twin, const std::string& fixed, const std::string& moving,
                     QWidget* parent = nullptr);
  std::string fixedVolume() const;
  std::string movingVolume() const;
  // "rigid" | "affine" | "bspline" | "landmark" (the Landmarks panel's pairs)
  std::string method() const;
  // Selects by name / method name; false when the dialog does not offer it.
  bool choose(const std::string& fixed, const std::string& moving, const std::string& method);

 private:
  void updateAdvice();
  QComboBox* fixed_ = nullptr;
  QComboBox* moving_ = nullptr;
  QComboBox* method_ = nullptr;
  QLabel* advice_ = nullptr;
  QPushButton* ok_ = nullptr;
};

// One line of how good a stored registration is, from Registration::quality: "MI -0.71,
// 84 iterations, TRE 0.4 mm" (what the Series panel shows beside the registration state).
QString registrationQualityText(const Registration& registration);

}  // namespace twinplan::ui
