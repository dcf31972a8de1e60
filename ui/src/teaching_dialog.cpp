#include "twinplan/ui/teaching_dialog.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include "twinplan/teaching/teaching_session.h"
#include "twinplan/ui/case_document.h"

namespace twinplan::ui {
namespace {

// The session's heartbeats are every 0.25 s: a 20 ms timer services it well within that and
// applies a presenter's change within about one display frame.
constexpr int kService_ms = 20;

// A model is shared under the segment it was built from (as View in headset does).
std::string sharedName(const SurfaceMesh& mesh) {
  return mesh.segmentName.empty() ? mesh.name : mesh.segmentName;
}

}  // namespace

TeachingDialog::TeachingDialog(CaseDocument* document, QWidget* parent)
    : QDialog(parent), document_(document) {
  setWindowTitle(tr("Teaching session"));
  setObjectName("teachingDialog");
  auto* layout = new QVBoxLayout(this);
  tabs_ = new QTabWidget(this);
  tabs_->addTab(buildPresentTab(), tr("Present"));
  tabs_->addTab(buildJoinTab(), tr("Join"));
  layout->addWidget(tabs_);
  follow_ = new QCheckBox(tr("Follow presenter"), this);
  follow_->setObjectName("followPresenter");
  follow_->setToolTip(
      tr("Presenter: ask participants to follow your view. Participant: show what the "
         "presenter shows - its crosshair (all three 2D views), window/level, result, "
         "visibility, pointer and notes. Untick to look around on your own."));
  connect(follow_, &QCheckBox::toggled, this, [this](bool on) {
    if (presenter_ && presenter_->running()) presenter_->apply(teaching::SetFollowPresenter{on});
    if (!on) stopFollowing();
    if (participant_) followPresenter();
  });
  layout->addWidget(follow_);
  status_ = new QLabel(tr("No session. Nothing listens until you start one."), this);
  status_->setObjectName("teachingStatus");
  status_->setWordWrap(true);
  layout->addWidget(status_);
  auto* end = new QPushButton(tr("End session"), this);
  end->setObjectName("endSession");
  connect(end, &QPushButton::clicked, this, &TeachingDialog::endSession);
  layout->addWidget(end);

  timer_ = new QTimer(this);
  timer_->setInterval(kService_ms);
  connect(timer_, &QTimer::timeout, this, &TeachingDialog::service);
  connect(document_, &CaseDocument::displayChanged, this,
          [this](CaseDocument::Shown what, std::size_t index) { shareDisplay(int(what), index); });
}

TeachingDialog::~TeachingDialog() {
  blockSignals(true);  // the window that listens may be half destroyed already
  endSession();
}

QWidget* TeachingDialog::buildPresentTab() {
  auto* tab = new QWidget(this);
  auto* form = new QFormLayout(tab);
  address_ = new QLineEdit("127.0.0.1", tab);
  address_->setToolTip(
      tr("127.0.0.1: this computer only. 0.0.0.0 or this computer's address "
         "opens the session to the network (hospital LAN)."));
  form->addRow(tr("Listen on"), address_);
  port_ = new QSpinBox(tab);
  port_->setRange(0, 65535);
  port_->setSpecialValueText(tr("any free port"));
  form->addRow(tr("Port"), port_);
  code_ = new QLineEdit(tab);
  code_->setPlaceholderText(tr("random 6 digits"));
  form->addRow(tr("Session code"), code_);
  tlsCertificate_ = new QLineEdit(tab);
  tlsCertificate_->setObjectName("tlsCertificate");
  tlsCertificate_->setPlaceholderText(tr("optional: certificate.pem"));
  tlsCertificate_->setToolTip(
      tr("Encrypt the session (TLS) with this certificate (PEM) and its key. Participants then "
         "join with the CA that signed it, or with the fingerprint shown once started."));
  form->addRow(tr("TLS certificate"), tlsCertificate_);
  tlsKey_ = new QLineEdit(tab);
  tlsKey_->setObjectName("tlsKey");
  tlsKey_->setPlaceholderText(tr("optional: private-key.pem"));
  form->addRow(tr("TLS private key"), tlsKey_);
  auto* start = new QPushButton(tr("Start presenting"), tab);
  start->setObjectName("startPresenting");
  connect(start, &QPushButton::clicked, this, &TeachingDialog::startPresenting);
  form->addRow(start);
  participantList_ = new QListWidget(tab);
  participantList_->setObjectName("participants");
  form->addRow(tr("Participants"), participantList_);
  return tab;
}

QWidget* TeachingDialog::buildJoinTab() {
  auto* tab = new QWidget(this);
  auto* form = new QFormLayout(tab);
  joinAddress_ = new QLineEdit(tab);
  joinAddress_->setPlaceholderText("127.0.0.1:41234");
  form->addRow(tr("Presenter (host:port)"), joinAddress_);
  joinCode_ = new QLineEdit(tab);
  form->addRow(tr("Session code"), joinCode_);
  joinName_ = new QLineEdit(qEnvironmentVariable("USER", "participant"), tab);
  form->addRow(tr("Your name"), joinName_);
  joinCa_ = new QLineEdit(tab);
  joinCa_->setObjectName("joinCa");
  joinCa_->setPlaceholderText(tr("encrypted session: ca.pem"));
  joinCa_->setToolTip(
      tr("Join an encrypted (TLS) session, trusting presenters whose certificate "
         "this CA (PEM) signed."));
  form->addRow(tr("Trusted CA"), joinCa_);
  joinFingerprint_ = new QLineEdit(tab);
  joinFingerprint_->setObjectName("joinFingerprint");
  joinFingerprint_->setPlaceholderText(tr("or the presenter's fingerprint AB:CD:..."));
  joinFingerprint_->setToolTip(
      tr("Join an encrypted (TLS) session, accepting only the "
         "certificate with this SHA-256 fingerprint."));
  form->addRow(tr("Certificate fingerprint"), joinFingerprint_);
  auto* join = new QPushButton(tr("Join"), tab);
  join->setObjectName("joinSession");
  connect(join, &QPushButton::clicked, this, &TeachingDialog::joinSession);
  form->addRow(join);
  return tab;
}

bool TeachingDialog::startPresenting() {
  endSession();
  const Case& twin = document_->twin();
  auto presenter = std::make_unique<teaching::Presenter>();
  try {
    presenter->apply(teaching::ShowData{twin.name.empty() ? "case" : twin.name, ""});
    if (!twin.labelMaps.empty()) {
      for (const Segment& segment : twin.labelMaps.front().segments())
        presenter->apply(teaching::SetSegmentVisible{segment.name, segment.visible});
    }
    for (const SurfaceMesh& mesh : twin.meshes)
      presenter->apply(teaching::SetSegmentVisible{sharedName(mesh), mesh.visible});
    presenter->apply(teaching::SetFollowPresenter{follow_->isChecked()});
    teaching::HostOptions options;
    options.address = address_->text().trimmed().toStdString();
    options.port = static_cast<std::uint16_t>(port_->value());
    options.sessionCode = code_->text().trimmed().toStdString();
    options.tlsCertificateFile = tlsCertificate_->text().trimmed().toStdString();
    options.tlsPrivateKeyFile = tlsKey_->text().trimmed().toStdString();
    presenter->start(options);
  } catch (const std::exception& e) {
    setStatus(QString::fromStdString(e.what()));
    return false;
  }
  presenter_ = std::move(presenter);
  setStatus(tr("Presenting on %1:%2 - session code %3")
                .arg(address_->text().trimmed())
                .arg(presenter_->port())
                .arg(QString::fromStdString(presenter_->sessionCode())) +
            (presenter_->encrypted()
                 ? tr(" - encrypted (TLS), certificate fingerprint %1")
                       .arg(QString::fromStdString(presenter_->certificateFingerprint()))
                 : QString()));
  timer_->start();
  emit presentingStarted();
  return true;
}

bool TeachingDialog::joinSession() {
  endSession();
  const QString where = joinAddress_->text().trimmed();
  const int colon = where.lastIndexOf(':');
  bool portOk = false;
  const int port = colon > 0 ? where.mid(colon + 1).toInt(&portOk) : 0;
  if (!portOk || port < 1 || port > 65535) {
    setStatus(tr("Type the presenter's address as host:port, as their dialog shows it."));
    return false;
  }
  teaching::JoinOptions options;
  options.host = where.left(colon).toStdString();
  options.port = static_cast<std::uint16_t>(port);
  options.sessionCode = joinCode_->text().trimmed().toStdString();
  options.name = joinName_->text().trimmed().toStdString();
  options.tlsCaFile = joinCa_->text().trimmed().toStdString();
  options.tlsPinnedSha256 = joinFingerprint_->text().trimmed().toStdString();
  auto participant = std::make_unique<teaching::Participant>();
  try {
    participant->join(options);  // an unusable CA file or fingerprint is refused here
  } catch (const std::exception& e) {
    setStatus(QString::fromStdString(e.what()));
    return false;
  }
  participant_ = std::move(participant);
  followed_ = 0;
  setStatus(tr("Joining %1…").arg(where));
  timer_->start();
  return true;
}

void TeachingDialog::endSession() {
  timer_->stop();
  if (presenter_) presenter_->stop();
  if (participant_) participant_->leave();
  const bool had = presenter_ || participant_;
  presenter_.reset();
  participant_.reset();
  participantList_->clear();
  stopFollowing();
  if (had) setStatus(tr("The session has ended."));
}

teaching::Presenter* TeachingDialog::presenter() const {
  return presenter_ && presenter_->running() ? presenter_.get() : nullptr;
}

void TeachingDialog::stopFollowing() {
  if (!followedState_) return;
  followedState_.reset();
  emit followedStateChanged();
}

bool TeachingDialog::presenting() const { return presenter_ && presenter_->running(); }

bool TeachingDialog::joined() const { return participant_ && participant_->connected(); }

QString TeachingDialog::status() const { return status_->text(); }

QStringList TeachingDialog::participants() const {
  QStringList names;
  for (int i = 0; i < participantList_->count(); ++i) names << participantList_->item(i)->text();
  return names;
}

void TeachingDialog::setStatus(const QString& text) { status_->setText(text); }

void TeachingDialog::service() {
  if (presenter_) {
    presenter_->service(0);
    QStringList names;
    for (const auto& p : presenter_->participants()) names << QString::fromStdString(p.name);
    if (names != participants()) {
      participantList_->clear();
      participantList_->addItems(names);
    }
    return;
  }
  if (!participant_) return;
  using Phase = teaching::Participant::Phase;
  const Phase before = participant_->phase();
  participant_->service(0);
  const Phase now = participant_->phase();
  if (now == Phase::Ended && before != Phase::Ended) {
    timer_->stop();
    stopFollowing();
    setStatus(participant_->failure()
                  ? QString::fromStdString(participant_->failure()->what())
                  : tr("The session has ended: %1")
                        .arg(QString::fromStdString(participant_->disconnectReason())));
    return;
  }
  if (now == Phase::Joined && before != Phase::Joined) {
    const bool encrypted =
        !joinCa_->text().trimmed().isEmpty() || !joinFingerprint_->text().trimmed().isEmpty();
    setStatus(tr("Joined %1: case '%2'")
                  .arg(joinAddress_->text().trimmed(),
                       QString::fromStdString(participant_->state().caseId)) +
              (encrypted ? tr(" - encrypted (TLS)") : QString()));
    // The presenter asks to be followed: tick the box (the user can untick it).
    if (participant_->state().followPresenter) follow_->setChecked(true);
  }
  if (now == Phase::Joined && participant_->sequence() != followed_) followPresenter();
}

// A participant that follows shows the presenter's visibility in this window.
void TeachingDialog::followPresenter() {
  if (!participant_ || !participant_->connected() || !follow_->isChecked()) return;
  followed_ = participant_->sequence();
  const teaching::SessionState state = participant_->state();
  const Case& twin = document_->twin();
  const auto apply = [&](CaseDocument::Shown what, std::size_t index, const std::string& name) {
    const auto wanted = state.segmentVisible.find(name);
    if (wanted == state.segmentVisible.end()) return;
    CaseDocument::Display display = document_->display(what, index);
    if (display.visible == wanted->second) return;
    display.visible = wanted->second;
    document_->setDisplay(what, index, display);
  };
  if (!twin.labelMaps.empty()) {
    const auto& segments = twin.labelMaps.front().segments();
    for (std::size_t i = 0; i < segments.size(); ++i)
      apply(CaseDocument::Shown::Segment, i, segments[i].name);
  }
  for (std::size_t i = 0; i < twin.meshes.size(); ++i)
    apply(CaseDocument::Shown::Mesh, i, sharedName(twin.meshes[i]));
  followedState_ = std::make_unique<teaching::SessionState>(state);
  emit followedStateChanged();
}

// A presenter shares what its window shows.
void TeachingDialog::shareDisplay(int what, std::size_t index) {
  if (!presenter_ || !presenter_->running()) return;
  const Case& twin = document_->twin();
  if (what == int(CaseDocument::Shown::Segment) && !twin.labelMaps.empty()) {
    const Segment& segment = twin.labelMaps.front().segments().at(index);
    presenter_->apply(teaching::SetSegmentVisible{segment.name, segment.visible});
  } else if (what == int(CaseDocument::Shown::Mesh)) {
    const SurfaceMesh& mesh = twin.meshes.at(index);
    presenter_->apply(teaching::SetSegmentVisible{sharedName(mesh), mesh.visible});
  }
}

}  // namespace twinplan::ui
