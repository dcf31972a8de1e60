#pragma once
// The "Teaching session" dialog (issue #20 item 5): present the open case to participants, or
// join a presenter's session and follow it. Hospital-LAN defaults: nothing listens until Start,
// the address is 127.0.0.1 unless the presenter types another, and joining needs the session
// code. Shared: segment and model visibility by segment name, and "follow presenter"; a
// participant that follows applies the presenter's visibility to its own window. What the
// window itself shares (its crosshair and window/level, slice, pointer, annotations and shown
// result) and shows of a followed presenter, MainWindow does through presenter() and
// followedState() (main_window_teaching.cpp): the dialog knows the case, the window knows its
// views. The session is
// serviced by a 20 ms timer on the GUI thread (teaching::Presenter/Participant::service(0)
// never waits), so the window never blocks on the network.
#include <QDialog>
#include <QStringList>
#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTimer;

namespace twinplan::teaching {
class Presenter;
class Participant;
struct SessionState;
}  // namespace twinplan::teaching

namespace twinplan::ui {

class CaseDocument;

class TeachingDialog : public QDialog {
  Q_OBJECT
 public:
  explicit TeachingDialog(CaseDocument* document, QWidget* parent = nullptr);
  ~TeachingDialog() override;  // ends the session

  // Present: opens the session for the open case with the address, port and code typed in
  // (empty code: a random one). A failure is shown in the status line; false then.
  bool startPresenting();
  // Join: connects to the HOST:PORT typed in with the code; the outcome arrives later (status
  // line, joined()).
  bool joinSession();
  void endSession();

  bool presenting() const;
  bool joined() const;
  QString status() const;            // the status line
  QStringList participants() const;  // presenter: who is in the session
  QLineEdit* addressField() const { return address_; }
  QSpinBox* portField() const { return port_; }
  QLineEdit* codeField() const { return code_; }
  QLineEdit* joinAddressField() const { return joinAddress_; }
  QLineEdit* joinCodeField() const { return joinCode_; }
  QCheckBox* followPresenterBox() const { return follow_; }
  // TLS (optional): the presenter's certificate and key (PEM paths), the participant's CA file
  // or pinned certificate fingerprint; all empty, the session is plain.
  QLineEdit* tlsCertificateField() const { return tlsCertificate_; }
  QLineEdit* tlsKeyField() const { return tlsKey_; }
  QLineEdit* joinCaField() const { return joinCa_; }
  QLineEdit* joinFingerprintField() const { return joinFingerprint_; }
  // The session this window presents (nullptr when not presenting), for the window's own
  // changes (teaching_session.h is private to the ui module's sources).
  teaching::Presenter* presenter() const;
  // The presenter's state while this window is joined and follows it; nullptr otherwise.
  const teaching::SessionState* followedState() const { return followedState_.get(); }

 signals:
  // Presenting started: the window adds what it shares (its slice, annotations, result).
  void presentingStarted();
  // followedState() changed: a presenter's update was applied, or following stopped.
  void followedStateChanged();

 private:
  QWidget* buildPresentTab();
  QWidget* buildJoinTab();
  void service();
  void shareDisplay(int what, std::size_t index);
  void followPresenter();
  void setStatus(const QString& text);

  CaseDocument* document_;
  std::unique_ptr<teaching::Presenter> presenter_;
  std::unique_ptr<teaching::Participant> participant_;
  QTimer* timer_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QLineEdit* address_ = nullptr;
  QSpinBox* port_ = nullptr;
  QLineEdit* code_ = nullptr;
  QLineEdit* tlsCertificate_ = nullptr;
  QLineEdit* tlsKey_ = nullptr;
  QListWidget* participantList_ = nullptr;
  QLineEdit* joinAddress_ = nullptr;
  QLineEdit* joinCode_ = nullptr;
  QLineEdit* joinName_ = nullptr;
  QLineEdit* joinCa_ = nullptr;
  QLineEdit* joinFingerprint_ = nullptr;
  QCheckBox* follow_ = nullptr;
  QLabel* status_ = nullptr;
  std::uint64_t followed_ = 0;  // the last presenter update applied to this window
  std::unique_ptr<teaching::SessionState> followedState_;
  void stopFollowing();
};

}  // namespace twinplan::ui
