#include "twinplan/ui/registration_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>

namespace twinplan::ui {

namespace {

// What each method is for, in the words of the registration module (registration/register.h).
struct MethodChoice {
  const char* name;
  const char* label;
  const char* advice;
};
constexpr MethodChoice kMethods[] = {
    {"rigid", "Rigid (rotation + translation)",
     "The same patient in another scan or position: 6 parameters, Mattes mutual information, "
     "3 resolution levels. Works across modalities (CT-MR)."},
    {"affine", "Affine (rigid, then scaling and shear)",
     "A rigid stage, then 12 parameters: for scanner scaling differences or distortion."},
    {"bspline", "Deformable (B-spline, 20 mm grid)",
     "A rigid stage, then a smooth B-spline deformation: for tissue that moved or changed shape "
     "(slower: minutes on a full CT)."},
    {"landmark", "Landmarks (paired points, rigid)",
     "The pairs placed in the Landmarks panel for these two series: the closed-form rigid fit "
     "(Umeyama); needs at least 3 pairs not on one line. Shows each pair's residual and the "
     "leave-one-out target registration error."},
};

}  // namespace

RegistrationDialog::RegistrationDialog(const Case& twin, const std::string& fixed,
                                       const std::string& moving, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(tr("Register series"));
  setObjectName("registrationDialog");
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  fixed_ = new QComboBox(this);
  fixed_->setObjectName("fixedSeries");
  fixed_->setToolTip(tr("The reference: it stays where it is"));
  moving_ = new QComboBox(this);
  moving_->setObjectName("movingSeries");
  moving_->setToolTip(tr("The series brought onto the reference and fused over it"));
  for (const ImageVolume& volume : twin.volumes) {
    const QString name = QString::fromStdString(volume.name);
    fixed_->addItem(name, name);
    moving_->addItem(name, name);
  }
  method_ = new QComboBox(this);
  method_->setObjectName("registrationMethod");
  for (const MethodChoice& choice : kMethods) method_->addItem(tr(choice.label), choice.name);
  form->addRow(tr("Fixed (reference)"), fixed_);
  form->addRow(tr("Moving"), moving_);
  form->addRow(tr("Method"), method_);
  layout->addLayout(form);
  advice_ = new QLabel(this);
  advice_->setObjectName("registrationAdvice");
  advice_->setWordWrap(true);
  advice_->setMinimumWidth(380);
  layout->addWidget(advice_);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  ok_ = buttons->button(QDialogButtonBox::Ok);
  ok_->setText(tr("Register"));
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  for (QComboBox* box : {fixed_, moving_, method_})
    connect(box, &QComboBox::currentIndexChanged, this, &RegistrationDialog::updateAdvice);
  // Default: the given pair, else the first two series.
  fixed_->setCurrentIndex(std::max(0, fixed_->findData(QString::fromStdString(fixed))));
  const int movingIndex = moving_->findData(QString::fromStdString(moving));
  moving_->setCurrentIndex(movingIndex >= 0                                      ? movingIndex
                           : fixed_->currentIndex() == 0 && moving_->count() > 1 ? 1
                                                                                 : 0);
  updateAdvice();
}

std::string RegistrationDialog::fixedVolume() const {
  return fixed_->currentData().toString().toStdString();
}
std::string RegistrationDialog::movingVolume() const {
  return moving_->currentData().toString().toStdString();
}
std::string RegistrationDialog::method() const {
  return method_->currentData().toString().toStdString();
}

bool RegistrationDialog::choose(const std::string& fixed, const std::string& moving,
                                const std::string& method) {
  const int f = fixed_->findData(QString::fromStdString(fixed));
  const int m = moving_->findData(QString::fromStdString(moving));
  const int how = method_->findData(QString::fromStdString(method));
  if (f < 0 || m < 0 || how < 0) return false;
  fixed_->setCurrentIndex(f);
  moving_->setCurrentIndex(m);
  method_->setCurrentIndex(how);
  return true;
}

void RegistrationDialog::updateAdvice() {
  const bool samePair = fixed_->currentIndex() == moving_->currentIndex();
  ok_->setEnabled(!samePair && fixed_->count() > 1);
  const int how = std::max(0, method_->currentIndex());
  advice_->setText(samePair ? tr("Choose two different series.") : tr(kMethods[how].advice));
}

QString registrationQualityText(const Registration& registration) {
  const nlohmann::json& q = registration.quality;
  QStringList parts;
  if (q.contains("metric_value") && q["metric_value"].is_number())
    parts << QObject::tr("MI %1").arg(q["metric_value"].get<double>(), 0, 'f', 3);
  if (q.contains("iterations") && q["iterations"].is_number_integer())
    parts << QObject::tr("%1 iterations").arg(q["iterations"].get<int>());
  if (q.contains("fre_mean_mm") && q["fre_mean_mm"].is_number())
    parts << QObject::tr("residual %1 mm").arg(q["fre_mean_mm"].get<double>(), 0, 'f', 2);
  if (q.contains("tre_mm") && q["tre_mm"].is_number())
    parts << QObject::tr("TRE %1 mm").arg(q["tre_mm"].get<double>(), 0, 'f', 2);
  return parts.join(", ");
}

}  // namespace twinplan::ui
