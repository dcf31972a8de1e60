// The Ablation panel: device, power, time, probe points, tumour and margin (ablation_panel.h).
#include "twinplan/ui/ablation_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScopedValueRollback>
#include <QVBoxLayout>

#include "twinplan/ablation/devices.h"
#include "twinplan/ablation/margin_map.h"
#include "twinplan/ablation/zone_metrics.h"
#include "twinplan/core/error.h"

namespace twinplan::ui {
namespace {

using nlohmann::json;

json pointJson(const std::optional<Vec3>& p) {
  return p ? json{p->x(), p->y(), p->z()} : json(nullptr);
}

std::optional<Vec3> pointFrom(const json& j, const char* name) {
  if (j.is_null()) return std::nullopt;
  if (!j.is_array() || j.size() != 3 || !j[0].is_number() || !j[1].is_number() || !j[2].is_number())
    throw Error(ErrorKind::InvalidInput,
                std::string("The ablation plan's ") + name +
                    " is not a point [x, y, z] in LPS mm; place it again in the Ablation panel.",
                std::string("plans.parameters.") + name);
  return Vec3(j[0].get<double>(), j[1].get<double>(), j[2].get<double>());
}

json pointsJson(const std::vector<Vec3>& points) {
  json list = json::array();
  for (const Vec3& p : points) list.push_back(pointJson(p));
  return list;
}

std::vector<Vec3> pointsFrom(const json& list) {
  if (!list.is_array())
    throw Error(ErrorKind::InvalidInput,
                "The ablation plan's temperature points are not a list of [x, y, z] in LPS mm; "
                "pick them again in the Ablation panel.",
                "plans.parameters.temperature_points_lps");
  std::vector<Vec3> points;
  for (const json& p : list)
    if (const auto point = pointFrom(p, "temperature_points_lps[]")) points.push_back(*point);
  return points;
}

// The plan's probes: "probes" [{tip_lps, entry_lps}], or (plans saved before several probes) the
// one probe's "tip_lps" and "entry_lps".
std::vector<ProbePoints> probesFrom(const json& j) {
  if (!j.contains("probes"))
    return {ProbePoints{pointFrom(j.value("tip_lps", json(nullptr)), "tip_lps"),
                        pointFrom(j.value("entry_lps", json(nullptr)), "entry_lps")}};
  const json& list = j["probes"];
  if (!list.is_array() || list.empty() || list.size() > kMaxAblationProbes)
    throw Error(ErrorKind::InvalidInput,
                "The ablation plan's probes are not a list of 1 to " +
                    std::to_string(kMaxAblationProbes) +
                    " probes; place them again in the Ablation panel.",
                "plans.parameters.probes");
  std::vector<ProbePoints> probes;
  for (const json& p : list) {
    if (!p.is_object())
      throw Error(ErrorKind::InvalidInput,
                  "An ablation plan's probe is not {tip_lps, entry_lps}; place it again.",
                  "plans.parameters.probes[" + std::to_string(probes.size()) + "]");
    probes.push_back({pointFrom(p.value("tip_lps", json(nullptr)), "probes[].tip_lps"),
                      pointFrom(p.value("entry_lps", json(nullptr)), "probes[].entry_lps")});
  }
  return probes;
}

const char* overlayName(AblationSetup::Overlay overlay) {
  switch (overlay) {
    case AblationSetup::Overlay::Temperature:
      return "temperature";
    case AblationSetup::Overlay::Damage:
      return "damage";
    case AblationSetup::Overlay::Off:
      return "off";
  }
  return "temperature";
}

AblationSetup::Overlay overlayFrom(const json& j) {
  for (auto o : {AblationSetup::Overlay::Temperature, AblationSetup::Overlay::Damage,
                 AblationSetup::Overlay::Off})
    if (j == overlayName(o)) return o;
  throw Error(ErrorKind::InvalidInput,
              "The ablation plan's overlay is not \"temperature\", \"damage\" or \"off\"; "
              "choose one in the Ablation panel.",
              "plans.parameters.overlay");
}

// A zone criterion's tooltip: what it means and which offered devices' published zones were
// measured that way (devices.json publishedZone.zoneCriterion and measurement).
QString criterionToolTip(const ablation::ZoneCriterionChoice& choice,
                         const std::vector<ablation::AblationDevice>& offered) {
  QString devices;
  for (const ablation::AblationDevice& d : offered)
    if (d.publishedZone.zoneCriterion == choice.criterion)
      devices += QStringLiteral("<li>%1: %2</li>")
                     .arg(QString::fromStdString(d.name).toHtmlEscaped(),
                          QString::fromStdString(d.publishedZone.measurement.empty()
                                                     ? d.publishedZone.setting
                                                     : d.publishedZone.measurement)
                              .toHtmlEscaped());
  return QStringLiteral("<p><b>%1</b></p><p>%2</p>")
             .arg(QString::fromStdString(choice.label).toHtmlEscaped(),
                  QString::fromStdString(choice.description).toHtmlEscaped()) +
         (devices.isEmpty()
              ? QObject::tr("<p>No published zone in the device list was measured "
                            "this way.</p>")
              : QObject::tr("<p>Published zones measured this way:</p><ul>%1</ul>").arg(devices));
}

// A form row's field: `value` taking the width, its buttons after it.
QHBoxLayout* buttonRow(QWidget* value, std::initializer_list<QPushButton*> buttons) {
  auto* row = new QHBoxLayout;
  row->addWidget(value, 1);
  for (QPushButton* b : buttons) row->addWidget(b);
  return row;
}

// The device at its own default power and time (a device chosen anew starts there).
void useDevice(AblationSetup& setup, const ablation::AblationDevice& device) {
  setup.deviceId = device.id;
  setup.power_W = device.power_W;
  setup.duration_s = device.duration_s;
}

// The device's default power as its generator delivers it: a ramp's power_W is where the ramp
// starts, not a power held (devices.json generator.control 'ramp'; the RF 3000 protocol).
QString defaultPowerText(const ablation::AblationDevice& d) {
  if (d.control != ablation::PowerControl::RampUntilRollOff)
    return QObject::tr("%1 W").arg(d.power_W);
  const QString ramp = QObject::tr("%1 W rising %2 W/min").arg(d.power_W).arg(d.rampRate_W_per_min);
  if (d.rampApplications <= 1) return QObject::tr("%1 to the roll-off").arg(ramp);
  // Every application after the first either ramps again or holds a fraction of the power at
  // the roll-off before it (rf_source.h), as the CLI's device listing says too.
  if (d.rampRestartFraction <= 0.0)
    return QObject::tr("%1 to a roll-off, then the ramp again, %2 applications in all")
        .arg(ramp)
        .arg(d.rampApplications);
  const QString held = QObject::tr("%1 % of that power held").arg(d.rampRestartFraction * 100.0);
  if (d.rampApplications == 2)
    return QObject::tr("%1 to a roll-off, then %2 to a second roll-off").arg(ramp, held);
  return QObject::tr("%1 to a roll-off, then %2 to the next roll-off, %3 applications in all")
      .arg(ramp, held)
      .arg(d.rampApplications);
}

QString pointText(const std::optional<Vec3>& p) {
  if (!p) return QObject::tr("not placed");
  return QStringLiteral("%1, %2, %3 mm")
      .arg(p->x(), 0, 'f', 1)
      .arg(p->y(), 0, 'f', 1)
      .arg(p->z(), 0, 'f', 1);
}

}  // namespace

json AblationSetup::toJson() const {
  json probeList = json::array();
  for (const ProbePoints& p : probes)
    probeList.push_back({{"tip_lps", pointJson(p.tip_lps)}, {"entry_lps", pointJson(p.entry_lps)}});
  const ProbePoints first = probes.empty() ? ProbePoints{} : probes.front();
  return {{"device", deviceId},
          {"power_W", power_W},
          {"duration_s", duration_s},
          {"tip_lps", pointJson(first.tip_lps)},
          {"entry_lps", pointJson(first.entry_lps)},
          {"probes", probeList},
          {"temperature_points_lps", pointsJson(temperaturePoints_lps)},
          {"tumour", tumour},
          {"margin_mm", margin_mm},
          {"zone_criterion", zoneCriterion},
          {"overlay", overlayName(overlay)},
          {"live_preview", livePreview}};
}

AblationSetup AblationSetup::fromJson(const json& j) {
  if (!j.is_object() || !j.contains("device") || !j["device"].is_string())
    throw Error(ErrorKind::InvalidInput,
                "The ablation plan names no device; choose one in the Ablation panel.",
                "plans.parameters.device");
  AblationSetup s;
  s.deviceId = j["device"].get<std::string>();
  s.power_W = j.value("power_W", 0.0);
  s.duration_s = j.value("duration_s", 0.0);
  s.probes = probesFrom(j);
  s.temperaturePoints_lps = pointsFrom(j.value("temperature_points_lps", json::array()));
  s.tumour = j.value("tumour", std::string());
  s.margin_mm = j.value("margin_mm", 5.0);
  // Plans saved before the criterion was offered were simulated with the default.
  s.zoneCriterion = j.value("zone_criterion", std::string("omega1"));
  try {
    (void)ablation::zoneCriterionChoice(s.zoneCriterion);
  } catch (const Error& e) {
    throw Error(ErrorKind::InvalidInput,
                std::string("The ablation plan's zone criterion: ") + e.what(),
                "plans.parameters.zone_criterion");
  }
  // Plans saved before the overlay switch and the live preview existed open with the defaults.
  if (j.contains("overlay")) s.overlay = overlayFrom(j["overlay"]);
  s.livePreview = j.value("live_preview", true);
  return s;
}

bool AblationSetup::physicallyDiffers(const AblationSetup& other) const {
  return deviceId != other.deviceId || power_W != other.power_W || duration_s != other.duration_s ||
         probes != other.probes || tumour != other.tumour || margin_mm != other.margin_mm ||
         zoneCriterion != other.zoneCriterion;
}

AblationPanel::AblationPanel(QWidget* parent)
    : AblationPanel(ablation::deviceCatalogue(), parent) {}

AblationPanel::AblationPanel(std::vector<ablation::AblationDevice> devices, QWidget* parent)
    : QWidget(parent), devices_(std::move(devices)) {
  if (devices_.empty())
    throw Error(ErrorKind::Internal, "The Ablation panel was given no device to offer.");
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  device_ = new QComboBox;
  device_->setObjectName("ablationDevice");
  // Long device names must not widen the dock (and narrow the views): they elide instead.
  device_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  device_->setMinimumContentsLength(12);
  for (const ablation::AblationDevice& d : devices_) {
    // An elided name stays readable in full as the item's and the chooser's tool tip.
    device_->addItem(QString::fromStdString(d.name), QString::fromStdString(d.id));
    device_->setItemData(device_->count() - 1, QString::fromStdString(d.name), Qt::ToolTipRole);
  }
  form->addRow(tr("Device"), device_);
  deviceInfo_ = new QLabel;
  deviceInfo_->setWordWrap(true);
  deviceInfo_->setObjectName("ablationDeviceInfo");
  form->addRow(deviceInfo_);
  // A device whose simulated zone does not match its published zone says so beside its name
  // (devices.json zoneCheck): informative, not an alarm - an amber bar, the text in the
  // palette's own colour.
  zoneNote_ = new QLabel;
  zoneNote_->setWordWrap(true);
  zoneNote_->setObjectName("ablationZoneNote");
  zoneNote_->setStyleSheet(
      "QLabel { background: palette(alternate-base); border-left: 3px solid #c9a227; "
      "padding: 3px 6px; }");
  form->addRow(zoneNote_);
  // A restored plan whose device is not offered (withdrawn or unknown): the panel shows another
  // and says so, so the substitution is never silent.
  deviceFallbackNote_ = new QLabel;
  deviceFallbackNote_->setWordWrap(true);
  deviceFallbackNote_->setObjectName("ablationDeviceFallbackNote");
  deviceFallbackNote_->setStyleSheet(zoneNote_->styleSheet());
  deviceFallbackNote_->hide();
  form->addRow(deviceFallbackNote_);
  power_ = new QDoubleSpinBox;
  power_->setObjectName("ablationPower");
  power_->setSuffix(" W");
  power_->setDecimals(0);
  form->addRow(tr("Power"), power_);
  time_ = new QDoubleSpinBox;
  time_->setObjectName("ablationTime");
  time_->setSuffix(" s");
  time_->setDecimals(0);
  time_->setRange(10.0, 3600.0);  // the ablate job's limit (engine/src/ablate_job.cpp)
  form->addRow(tr("Time"), time_);

  auto pointRow = [&](const QString& label, QLabel*& value, QPushButton*& button, Point point,
                      const char* name) {
    value = new QLabel;
    value->setWordWrap(true);  // long coordinates wrap rather than widen the dock
    button = new QPushButton(tr("Place"));
    button->setObjectName(name);
    button->setCheckable(true);
    button->setToolTip(tr("Then click in a 2D view"));
    form->addRow(label, buttonRow(value, {button}));
    connect(button, &QPushButton::clicked, this, [this, point](bool on) {
      setPlacing(on ? std::optional<Point>(point) : std::nullopt);
    });
  };
  // The probe whose points the rows below show: Add and Remove beside it.
  probe_ = new QComboBox;
  probe_->setObjectName("ablationProbe");
  probe_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  probe_->setMinimumContentsLength(6);
  probe_->setToolTip(tr("Several probes of this device and setting, switched on together"));
  addProbe_ = new QPushButton(tr("Add probe"));
  addProbe_->setObjectName("addProbe");
  addProbe_->setToolTip(tr("Another probe: then place its tip and entry"));
  removeProbe_ = new QPushButton(tr("Remove probe"));
  removeProbe_->setObjectName("removeProbe");
  removeProbe_->setToolTip(tr("Remove the probe shown above"));
  // The chooser has its row to itself so "Probe 2 (not placed)" shows in full in the dock at
  // 1200 x 900 (beside Add and Remove it was cut); the buttons go under it.
  form->addRow(tr("Probe"), probe_);
  auto* probeButtons = new QHBoxLayout;
  probeButtons->addWidget(addProbe_);
  probeButtons->addWidget(removeProbe_);
  probeButtons->addStretch(1);
  form->addRow(QString(), probeButtons);
  connect(probe_, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (refreshing_ || index < 0) return;
    setCurrentProbe(std::size_t(index));
  });
  connect(addProbe_, &QPushButton::clicked, this, &AblationPanel::addProbe);
  connect(removeProbe_, &QPushButton::clicked, this, &AblationPanel::removeCurrentProbe);
  pointRow(tr("Tip"), tip_, placeTip_, Point::Tip, "placeTip");
  pointRow(tr("Entry"), entry_, placeEntry_, Point::Entry, "placeEntry");

  // Where Simulate records the temperature over time: the tumour's centre and margin, and the
  // points picked here.
  temperaturePoints_ = new QLabel;
  temperaturePoints_->setObjectName("ablationTemperaturePoints");
  // Wraps rather than widen the panel past the dock (the row's buttons take most of it).
  temperaturePoints_->setWordWrap(true);
  pickPoint_ = new QPushButton(tr("Pick point"));
  pickPoint_->setObjectName("pickTemperaturePoint");
  pickPoint_->setCheckable(true);
  pickPoint_->setToolTip(
      tr("Then click in a 2D view: Simulate plots the temperature over time there"));
  clearPoints_ = new QPushButton(tr("Clear"));
  clearPoints_->setObjectName("clearTemperaturePoints");
  form->addRow(tr("Curves"), buttonRow(temperaturePoints_, {pickPoint_, clearPoints_}));
  connect(pickPoint_, &QPushButton::clicked, this, [this](bool on) {
    setPlacing(on ? std::optional<Point>(Point::Temperature) : std::nullopt);
  });
  connect(clearPoints_, &QPushButton::clicked, this, [this] {
    setup_.temperaturePoints_lps.clear();
    refresh();
    changed();
  });

  tumour_ = new QComboBox;
  tumour_->setObjectName("ablationTumour");
  tumour_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  tumour_->setMinimumContentsLength(12);
  form->addRow(tr("Tumour"), tumour_);
  margin_ = new QDoubleSpinBox;
  margin_->setObjectName("ablationMargin");
  margin_->setSuffix(" mm");
  margin_->setDecimals(1);
  margin_->setRange(0.0, 30.0);  // the ablate job's limit
  margin_->setValue(5.0);
  form->addRow(tr("Margin"), margin_);
  zoneCriterion_ = new QComboBox;
  zoneCriterion_->setObjectName("ablationZoneCriterion");
  // The clinician's words; the item's data is the name the case keeps ("omega1").
  zoneCriterion_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  zoneCriterion_->setMinimumContentsLength(12);
  for (const ablation::ZoneCriterionChoice& choice : ablation::zoneCriterionChoices()) {
    zoneCriterion_->addItem(QString::fromStdString(choice.label),
                            QString::fromStdString(choice.name));
    zoneCriterion_->setItemData(zoneCriterion_->count() - 1, criterionToolTip(choice, devices_),
                                Qt::ToolTipRole);
  }
  form->addRow(tr("Zone"), zoneCriterion_);
  layout->addLayout(form);

  overlay_ = new QComboBox;
  overlay_->setObjectName("ablationOverlay");
  overlay_->addItem(tr("Maximum temperature"), int(AblationSetup::Overlay::Temperature));
  overlay_->addItem(tr("Damage (Arrhenius)"), int(AblationSetup::Overlay::Damage));
  overlay_->addItem(tr("Off"), int(AblationSetup::Overlay::Off));
  overlay_->setToolTip(tr("What the 2D views show over the image after Simulate"));
  form->addRow(tr("Overlay"), overlay_);

  live_ = new QCheckBox(tr("Live predicted zone"));
  live_->setObjectName("ablationLivePreview");
  live_->setChecked(true);
  live_->setToolTip(
      tr("While the tip or entry moves: the zone a fast model calibrated on the full physics "
         "predicts (hatched in 2D, translucent in 3D). Simulate confirms it."));
  layout->addWidget(live_);
  liveText_ = new QLabel;
  liveText_->setObjectName("ablationLive");
  liveText_->setWordWrap(true);
  liveText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(liveText_);
  // The margin map's legend: the three colours the tumour's surface (3D) and outline (2D) take.
  marginLegend_ = new QLabel;
  marginLegend_->setObjectName("ablationMarginLegend");
  marginLegend_->setWordWrap(true);
  marginLegend_->setVisible(false);
  layout->addWidget(marginLegend_);
  marginText_ = new QLabel;
  marginText_->setObjectName("ablationMarginMap");
  marginText_->setWordWrap(true);
  marginText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  marginText_->setVisible(false);
  layout->addWidget(marginText_);
  simulate_ = new QPushButton(tr("Simulate"));
  simulate_->setObjectName("ablationSimulate");
  layout->addWidget(simulate_);
  // The report under its own heading, so the simulated figures are not read as the live
  // prediction's above the button (both give a zone, a coverage and a minimal margin).
  reportHeading_ = new QLabel(tr("<b>Simulated zone (full physics)</b>"));
  reportHeading_->setObjectName("ablationReportHeading");
  reportHeading_->setVisible(false);
  layout->addWidget(reportHeading_);
  report_ = new QLabel;
  report_->setObjectName("ablationReport");
  report_->setWordWrap(true);
  report_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(report_);
  temperatureChart_ = new TemperatureChart;
  temperatureChart_->setObjectName("ablationTemperatureChart");
  temperatureChart_->setMinimumHeight(200);
  temperatureChart_->setVisible(false);
  layout->addWidget(temperatureChart_);
  layout->addStretch(1);

  connect(device_, &QComboBox::currentIndexChanged, this, [this](int) {
    if (refreshing_) return;
    useDevice(setup_, offered(device_->currentData().toString().toStdString()));
    deviceFallbackNote_->hide();  // the device is the user's choice now
    showDevice();
    changed();
  });
  connect(power_, &QDoubleSpinBox::valueChanged, this, [this](double w) {
    if (refreshing_) return;
    setup_.power_W = w;
    settingEdited("power");
  });
  connect(power_, &QDoubleSpinBox::editingFinished, this, &AblationPanel::endGesture);
  connect(time_, &QDoubleSpinBox::valueChanged, this, [this](double s) {
    if (refreshing_) return;
    setup_.duration_s = s;
    settingEdited("time");
  });
  connect(time_, &QDoubleSpinBox::editingFinished, this, &AblationPanel::endGesture);
  connect(tumour_, &QComboBox::currentIndexChanged, this, [this](int) {
    if (refreshing_) return;
    setup_.tumour = tumour_->currentData().toString().toStdString();
    changed();
  });
  connect(margin_, &QDoubleSpinBox::valueChanged, this, [this](double mm) {
    if (refreshing_) return;
    setup_.margin_mm = mm;
    settingEdited("margin");
  });
  connect(margin_, &QDoubleSpinBox::editingFinished, this, &AblationPanel::endGesture);
  connect(zoneCriterion_, &QComboBox::currentIndexChanged, this, [this](int) {
    if (refreshing_) return;
    setup_.zoneCriterion = zoneCriterion_->currentData().toString().toStdString();
    zoneCriterion_->setToolTip(zoneCriterion_->currentData(Qt::ToolTipRole).toString());
    changed();
  });
  connect(overlay_, &QComboBox::currentIndexChanged, this, [this](int) {
    if (refreshing_) return;
    setup_.overlay = AblationSetup::Overlay(overlay_->currentData().toInt());
    changed();
  });
  connect(live_, &QCheckBox::toggled, this, [this](bool on) {
    if (refreshing_) return;
    setup_.livePreview = on;
    changed();
  });
  connect(simulate_, &QPushButton::clicked, this, &AblationPanel::simulateRequested);

  useDevice(setup_, devices_.front());
  showDevice();
}

AblationPanel::~AblationPanel() = default;

const ablation::AblationDevice& AblationPanel::offered(const std::string& id) const {
  const auto d = std::find_if(devices_.begin(), devices_.end(),
                              [&](const ablation::AblationDevice& o) { return o.id == id; });
  return d == devices_.end() ? devices_.front() : *d;
}

void AblationPanel::showDevice() {
  refreshing_ = true;
  const ablation::AblationDevice& d = offered(setup_.deviceId);
  device_->setCurrentIndex(device_->findData(QString::fromStdString(d.id)));
  device_->setToolTip(QString::fromStdString(d.name));
  // The generator's maximum bounds the power (the ablate job refuses more).
  power_->setRange(1.0, d.maxPower_W > 0.0 ? d.maxPower_W : 1000.0);
  power_->setValue(setup_.power_W);
  time_->setValue(setup_.duration_s);
  margin_->setValue(setup_.margin_mm);
  zoneCriterion_->setCurrentIndex(
      std::max(zoneCriterion_->findData(QString::fromStdString(setup_.zoneCriterion)), 0));
  zoneCriterion_->setToolTip(zoneCriterion_->currentData(Qt::ToolTipRole).toString());
  overlay_->setCurrentIndex(overlay_->findData(int(setup_.overlay)));
  live_->setChecked(setup_.livePreview);
  // The full name first: the combo box above elides a long one.
  deviceInfo_->setText(tr("%1: default %2 for %3 min. Published zone %4 x %5 mm (%6; %7).")
                           .arg(QString::fromStdString(d.name))
                           .arg(defaultPowerText(d))
                           .arg(d.duration_s / 60.0)
                           .arg(d.publishedZone.longAxis_mm)
                           .arg(d.publishedZone.shortAxis_mm)
                           .arg(QString::fromStdString(d.publishedZone.tissue))
                           .arg(QString::fromStdString(d.publishedZone.setting)));
  showZoneCheck(d);
  refreshing_ = false;
  refresh();
}

void AblationPanel::showZoneCheck(const ablation::AblationDevice& d) {
  const QString note = QString::fromStdString(ablation::zoneValidationNote(d));
  zoneNote_->setText(note.isEmpty() ? QString() : note + ".");
  zoneNote_->setVisible(!note.isEmpty());
  const ablation::ZoneCheck& c = d.zoneCheck;
  zoneNote_->setToolTip(
      !c.recorded
          ? QString()
          : tr("<p>At its default setting in uniform liver the simulated zone is %1 x %2 mm "
               "of heated tissue, %3 x %4 mm as measured after the tissue contracts (as "
               "the published zone was). Published: %5 x %6 mm, %7 (%8).</p><p>The zone "
               "shown is the simulation's; treat its size with care. %9.</p>")
                .arg(c.simulatedLongAxis_mm)
                .arg(c.simulatedShortAxis_mm)
                .arg(c.contractedLongAxis_mm)
                .arg(c.contractedShortAxis_mm)
                .arg(d.publishedZone.longAxis_mm)
                .arg(d.publishedZone.shortAxis_mm)
                .arg(QString::fromStdString(d.publishedZone.tissue))
                .arg(QString::fromStdString(d.publishedZone.evidence))
                .arg(QString::fromStdString(c.section)));
}

void AblationPanel::showCase(const Case& twin) {
  refreshing_ = true;
  tumour_->clear();
  tumour_->addItem(tr("(none)"), QString());
  for (const LabelMap& labels : twin.labelMaps)
    for (const Segment& s : labels.segments())
      if (s.name != "Ablation zone")
        tumour_->addItem(QString::fromStdString(s.name), QString::fromStdString(s.name));
  const int index = tumour_->findData(QString::fromStdString(setup_.tumour));
  tumour_->setCurrentIndex(std::max(index, 0));
  setup_.tumour = tumour_->currentData().toString().toStdString();
  refreshing_ = false;
}

namespace {
// Why a restored plan's device is not the one shown: withdrawn (its reason) or unknown.
QString deviceFallbackText(const std::string& planned, const ablation::AblationDevice& shown) {
  const QString id = QString::fromStdString(planned);
  const QString why =
      ablation::withdrawnDevice(planned)
          ? QObject::tr(
                "This plan's device '%1' was withdrawn from the catalogue: its zone was "
                "never validated against a published one.")
                .arg(id)
          : QObject::tr("This plan's device '%1' is not in the catalogue.").arg(id);
  return QObject::tr("%1 Showing %2; choose a device and simulate again.")
      .arg(why, QString::fromStdString(shown.name));
}
}  // namespace

void AblationPanel::setSetup(AblationSetup setup) {
  const ablation::AblationDevice& d = offered(setup.deviceId);
  deviceFallbackNote_->setText(d.id == setup.deviceId ? QString()
                                                      : deviceFallbackText(setup.deviceId, d));
  deviceFallbackNote_->setVisible(d.id != setup.deviceId);
  if (d.id != setup.deviceId) useDevice(setup, d);
  // The same set-up again (the case's plan echoing the panel's own edit back) keeps the gesture
  // open; a different one (undo, another case) ends it.
  if (!(setup == setup_)) endGesture();
  if (setup.probes.empty()) setup.probes.emplace_back();
  setup_ = std::move(setup);
  current_ = std::min(current_, setup_.probes.size() - 1);
  showDevice();
  refreshing_ = true;
  const int index = tumour_->findData(QString::fromStdString(setup_.tumour));
  if (index >= 0) tumour_->setCurrentIndex(index);
  refreshing_ = false;
  refresh();
  emit setupChanged();
}

void AblationPanel::restoreSetup(AblationSetup setup) {
  const QScopedValueRollback restoring(restoring_, true);
  setSetup(std::move(setup));
}

void AblationPanel::settingEdited(const char* control) {
  continuing_ = editedControl_ == control;
  editedControl_ = control;
  emit setupChanged();
}

void AblationPanel::endGesture() {
  editedControl_.clear();
  continuing_ = false;
}

void AblationPanel::changed() {
  endGesture();
  emit setupChanged();
}

void AblationPanel::setPlacing(std::optional<Point> point) {
  if (placing_ == point) return refresh();
  placing_ = point;
  refresh();
  emit placingChanged();
}

void AblationPanel::placePoint(const Vec3& p_lps) {
  if (!placing_) return;
  if (*placing_ == Point::Temperature) {
    setup_.temperaturePoints_lps.push_back(p_lps);  // picking stays on for the next point
    refresh();
    return changed();
  }
  if (*placing_ == Point::Tip) {
    current().tip_lps = p_lps;
    // The entry comes next unless it is already placed.
    setPlacing(current().entry_lps ? std::nullopt : std::optional<Point>(Point::Entry));
  } else {
    current().entry_lps = p_lps;
    setPlacing(std::nullopt);
  }
  refresh();
  changed();
}

void AblationPanel::setCurrentProbe(std::size_t probe) {
  if (probe >= setup_.probes.size() || probe == current_) return refresh();
  current_ = probe;
  setPlacing(std::nullopt);  // a click must not place the other probe's point
  refresh();
  emit setupChanged();  // the views draw the current probe's line
}

void AblationPanel::addProbe() {
  if (setup_.probes.size() >= kMaxAblationProbes) return;
  setup_.probes.emplace_back();
  current_ = setup_.probes.size() - 1;
  refresh();
  changed();
  setPlacing(Point::Tip);  // the new probe's tip is the next click
}

void AblationPanel::removeCurrentProbe() {
  if (setup_.probes.size() <= 1) return;
  setup_.probes.erase(setup_.probes.begin() + std::ptrdiff_t(current_));
  current_ = std::min(current_, setup_.probes.size() - 1);
  setPlacing(std::nullopt);
  refresh();
  changed();
}

void AblationPanel::refresh() {
  refreshing_ = true;
  probe_->clear();
  for (std::size_t n = 0; n < setup_.probes.size(); ++n)
    probe_->addItem(setup_.probes[n].complete() ? tr("Probe %1").arg(n + 1)
                                                : tr("Probe %1 (not placed)").arg(n + 1));
  probe_->setCurrentIndex(int(current_));
  refreshing_ = false;
  addProbe_->setEnabled(setup_.probes.size() < kMaxAblationProbes);
  removeProbe_->setEnabled(setup_.probes.size() > 1);
  tip_->setText(pointText(current().tip_lps));
  entry_->setText(pointText(current().entry_lps));
  // Short, so the row keeps one line; the tooltip says it in full.
  temperaturePoints_->setText(
      setup_.temperaturePoints_lps.empty()
          ? tr("Centre, margin")
          : tr("Centre, margin + %1").arg(setup_.temperaturePoints_lps.size()));
  temperaturePoints_->setToolTip(
      tr("Simulate plots the temperature over time at the tumour's centre, at its margin and at "
         "%n picked point(s)",
         "", int(setup_.temperaturePoints_lps.size())));
  clearPoints_->setEnabled(!setup_.temperaturePoints_lps.empty());
  pickPoint_->setChecked(placing_ == Point::Temperature);
  placeTip_->setChecked(placing_ == Point::Tip);
  placeEntry_->setChecked(placing_ == Point::Entry);
  simulate_->setEnabled(setup_.complete());
  simulate_->setToolTip(setup_.complete() ? QString()
                                          : tr("Place every probe's tip and entry first"));
}

void AblationPanel::showReport(const QString& text) {
  report_->setText(text);
  reportHeading_->setVisible(!text.isEmpty());
}

void AblationPanel::showTemperatureCurves(std::vector<TemperatureCurve> curves) {
  temperatureChart_->setVisible(!curves.empty());
  temperatureChart_->setCurves(std::move(curves));
}
QString AblationPanel::reportText() const { return report_->text(); }
void AblationPanel::showLive(const QString& text) { liveText_->setText(text); }

void AblationPanel::showMarginMap(const QString& summary, double margin_mm) {
  const auto swatch = [](ablation::MarginClass c, const QString& label) {
    const Rgb rgb = ablation::marginClassColour(c);
    return QStringLiteral(
               "<span style=\"color:rgb(%1,%2,%3); font-size:large\">&#9632;</span>&nbsp;%4")
        .arg(rgb.r)
        .arg(rgb.g)
        .arg(rgb.b)
        .arg(label);
  };
  const QString m = QString::number(margin_mm, 'g', 3);
  marginLegend_->setText(
      tr("<b>Ablative margin</b><br>%1 &nbsp; %2 &nbsp; %3")
          .arg(swatch(ablation::MarginClass::Uncovered, tr("tumour not ablated")))
          .arg(swatch(ablation::MarginClass::Thin, tr("0-%1 mm").arg(m)))
          .arg(swatch(ablation::MarginClass::Adequate, tr("%1 mm or more").arg(m))));
  marginText_->setText(summary);
  marginLegend_->setVisible(!summary.isEmpty());
  marginText_->setVisible(!summary.isEmpty());
}

QString AblationPanel::marginMapText() const { return marginText_->text(); }
QString AblationPanel::liveText() const { return liveText_->text(); }

}  // namespace twinplan::ui
