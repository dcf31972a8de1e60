// The "Teaching session" dialog (issue #20 item 5) in the real window: as presenter, a
// participant (the library's, in this process) joins with the code, sees the window's segment
// visibility and "follow presenter"; as participant, the window joins a presenter and, following,
// shows the presenter's visibility; a wrong code is refused with the presenter's reason. With
// TWINPLAN_SCREENSHOT_DIR set, the presenting dialog is saved there.
#include "twinplan/ui/teaching_dialog.h"

#include <gtest/gtest.h>

#include <QAction>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>
#include <cstdlib>

#include "gui_fixtures.h"
#include "twinplan/teaching/teaching_session.h"
#include "twinplan/ui/display_list_panel.h"
#include "twinplan/ui/main_window.h"

namespace twinplan::ui {
namespace {

Case twoSegmentCase() {
  const ImageGeometry g = fixtures::centredGrid({20, 20, 10}, Vec3(2.0, 2.0, 3.0));
  Case twin = fixtures::caseWith(fixtures::ctVolume(g), "Lesson");
  LabelMap labels(g);
  labels.segments() = {{"Liver", "liver", {190, 110, 90}, 0, 1, true, false},
                       {"Tumour", "tumour", {240, 200, 40}, 0, 2, true, false}};
  twin.labelMaps.push_back(std::move(labels));
  return twin;
}

class TeachingDialogTest : public fixtures::CaseWindowTest {
 protected:
  void SetUp() override {
    showCase(twoSegmentCase());
    window_->findChild<QAction*>("teachingSession")->trigger();
    dialog_ = window_->findChild<TeachingDialog*>();
    ASSERT_NE(dialog_, nullptr);
    ASSERT_TRUE(dialog_->isVisible());
  }
  // Runs the window's event loop (the dialog's timer) and `other` until `condition` holds.
  template <typename Other, typename Condition>
  bool until(Other other, Condition condition) {
    QElapsedTimer clock;
    clock.start();
    while (!condition() && clock.elapsed() < 10000) {
      other();
      QTest::qWait(5);
    }
    return condition();
  }
  bool segmentVisible(std::size_t index) {
    return window_->currentCase().labelMaps.front().segments()[index].visible;
  }

  TeachingDialog* dialog_ = nullptr;
};

TEST_F(TeachingDialogTest, PresentsTheWindowsVisibilityToAParticipant) {
  EXPECT_EQ(dialog_->addressField()->text(), "127.0.0.1");  // the hospital-LAN default
  EXPECT_FALSE(dialog_->presenting());                      // nothing listens yet
  dialog_->codeField()->setText("4829");
  ASSERT_TRUE(dialog_->startPresenting()) << dialog_->status().toStdString();
  const int port = dialog_->status().section(':', 1).section(' ', 0, 0).toInt();
  ASSERT_GT(port, 0) << dialog_->status().toStdString();
  EXPECT_TRUE(dialog_->status().contains("session code 4829"));

  teaching::Participant student;
  teaching::JoinOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.sessionCode = "4829";
  options.name = "Student A";
  student.join(options);
  const auto pump = [&] { student.service(0); };
  ASSERT_TRUE(until(pump, [&] {
    return dialog_->participants() == QStringList{"Student A"} && student.connected();
  }));
  EXPECT_EQ(student.state().caseId, "Lesson");
  if (const char* dir = std::getenv("TWINPLAN_SCREENSHOT_DIR"))
    dialog_->grab().save(QString(dir) + "/teaching-dialog.png");
  EXPECT_EQ(student.state().segmentVisible.at("Tumour"), true);

  // Untick "Tumour" in the window's Segments list: the participant sees it hidden.
  window_->segmentsPanel()->list()->topLevelItem(1)->setCheckState(0, Qt::Unchecked);
  ASSERT_TRUE(until(pump, [&] { return !student.state().segmentVisible.at("Tumour"); }));
  EXPECT_TRUE(student.state().segmentVisible.at("Liver"));
  dialog_->followPresenterBox()->setChecked(true);
  ASSERT_TRUE(until(pump, [&] { return student.state().followPresenter; }));

  dialog_->endSession();
  ASSERT_TRUE(until(pump, [&] { return !student.connected(); }));
  EXPECT_EQ(student.disconnectReason(), "the presenter ended the session");
}

TEST_F(TeachingDialogTest, FollowsAPresentersVisibilityAndRefusesAWrongCode) {
  teaching::Presenter teacher;
  teacher.apply(teaching::ShowData{"Lesson", ""});
  teacher.apply(teaching::SetFollowPresenter{true});
  teacher.apply(teaching::SetSegmentVisible{"Liver", false});
  teaching::HostOptions host;
  host.sessionCode = "4829";
  teacher.start(host);
  const auto pump = [&] { teacher.service(0); };

  // A wrong code first: the presenter's reason in the status line, the window unchanged.
  dialog_->joinAddressField()->setText(QString("127.0.0.1:%1").arg(teacher.port()));
  dialog_->joinCodeField()->setText("0000");
  ASSERT_TRUE(dialog_->joinSession());
  ASSERT_TRUE(until(pump, [&] { return dialog_->status().contains("wrong session code"); }))
      << dialog_->status().toStdString();
  EXPECT_FALSE(dialog_->joined());
  EXPECT_TRUE(segmentVisible(0));

  // The right code: joined, "follow presenter" ticks itself, the Liver is hidden here too.
  dialog_->joinCodeField()->setText("4829");
  ASSERT_TRUE(dialog_->joinSession());
  ASSERT_TRUE(until(pump, [&] { return dialog_->joined(); })) << dialog_->status().toStdString();
  EXPECT_TRUE(dialog_->followPresenterBox()->isChecked());
  ASSERT_TRUE(until(pump, [&] { return !segmentVisible(0); }));
  EXPECT_TRUE(segmentVisible(1));
  EXPECT_EQ(window_->segmentsPanel()->list()->topLevelItem(0)->checkState(0), Qt::Unchecked);

  // The presenter hides the tumour and shows the liver: the window follows.
  teacher.apply(teaching::SetSegmentVisible{"Tumour", false});
  teacher.apply(teaching::SetSegmentVisible{"Liver", true});
  ASSERT_TRUE(until(pump, [&] { return segmentVisible(0) && !segmentVisible(1); }));

  // Not following: the presenter's next change leaves the window alone.
  dialog_->followPresenterBox()->setChecked(false);
  const auto sequence = teacher.apply(teaching::SetSegmentVisible{"Tumour", true});
  QTest::qWait(200);
  for (int i = 0; i < 20; ++i) pump();
  QTest::qWait(100);
  EXPECT_FALSE(segmentVisible(1)) << "followed update " << sequence << " while not following";
  teacher.stop();
  ASSERT_TRUE(until(pump, [&] { return dialog_->status().contains("ended"); }));
}

// TLS: a self-signed certificate for 127.0.0.1 made by the openssl command in a temporary folder.
struct SelfSigned {
  QTemporaryDir dir;
  QString cert() const { return dir.filePath("cert.pem"); }
  QString key() const { return dir.filePath("key.pem"); }
  bool make() const {
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " +
        key().toStdString() + " -out " + cert().toStdString() +
        " -days 2 -subj /CN=lecture -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
    return std::system(command.c_str()) == 0;
  }
};

TEST_F(TeachingDialogTest, PresentsEncryptedWhenGivenACertificate) {
  SelfSigned tls;
  ASSERT_TRUE(tls.make());
  dialog_->codeField()->setText("4829");
  dialog_->tlsCertificateField()->setText(tls.cert());
  dialog_->tlsKeyField()->setText(tls.key());
  ASSERT_TRUE(dialog_->startPresenting()) << dialog_->status().toStdString();
  // The status shows the fingerprint participants pin.
  const QString status = dialog_->status();
  ASSERT_TRUE(status.contains("encrypted (TLS), certificate fingerprint ")) << status.toStdString();
  const QString fingerprint = status.section("fingerprint ", 1).trimmed();
  EXPECT_EQ(fingerprint.size(), 95);
  const int port = status.section(':', 1).section(' ', 0, 0).toInt();

  teaching::Participant student;
  teaching::JoinOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.sessionCode = "4829";
  options.name = "Student T";
  options.tlsPinnedSha256 = fingerprint.toStdString();
  student.join(options);
  const auto pump = [&] { student.service(0); };
  ASSERT_TRUE(until(pump, [&] { return student.connected(); }))
      << (student.failure() ? student.failure()->what() : "");
  EXPECT_EQ(student.state().caseId, "Lesson");
  window_->segmentsPanel()->list()->topLevelItem(1)->setCheckState(0, Qt::Unchecked);
  ASSERT_TRUE(until(pump, [&] { return !student.state().segmentVisible.at("Tumour"); }));

  // A key without its certificate: refused in the status line, nothing listens.
  dialog_->endSession();
  dialog_->tlsCertificateField()->clear();
  EXPECT_FALSE(dialog_->startPresenting());
  EXPECT_TRUE(dialog_->status().contains("both the certificate and its private key"))
      << dialog_->status().toStdString();
  EXPECT_FALSE(dialog_->presenting());
}

TEST_F(TeachingDialogTest, JoinsAnEncryptedSessionOnlyWithItsFingerprint) {
  SelfSigned tls;
  ASSERT_TRUE(tls.make());
  teaching::Presenter teacher;
  teacher.apply(teaching::ShowData{"Lesson", ""});
  teaching::HostOptions host;
  host.sessionCode = "4829";
  host.tlsCertificateFile = tls.cert().toStdString();
  host.tlsPrivateKeyFile = tls.key().toStdString();
  teacher.start(host);
  const auto pump = [&] { teacher.service(0); };
  dialog_->joinAddressField()->setText(QString("127.0.0.1:%1").arg(teacher.port()));
  dialog_->joinCodeField()->setText("4829");
  // Plain: the presenter says the session is encrypted.
  ASSERT_TRUE(dialog_->joinSession());
  ASSERT_TRUE(until(pump, [&] { return dialog_->status().contains("encrypted (TLS)"); }))
      << dialog_->status().toStdString();
  EXPECT_FALSE(dialog_->joined());
  // Another certificate's fingerprint: refused, naming the one seen.
  QString other;
  for (int i = 0; i < 32; ++i) other += i ? ":0F" : "0F";
  dialog_->joinFingerprintField()->setText(other);
  ASSERT_TRUE(dialog_->joinSession());
  ASSERT_TRUE(until(pump, [&] { return dialog_->status().contains("not the one pinned"); }))
      << dialog_->status().toStdString();
  EXPECT_TRUE(dialog_->status().contains(QString::fromStdString(teacher.certificateFingerprint())));
  // Its own fingerprint: joined, encrypted.
  dialog_->joinFingerprintField()->setText(
      QString::fromStdString(teacher.certificateFingerprint()));
  ASSERT_TRUE(dialog_->joinSession());
  ASSERT_TRUE(until(pump, [&] { return dialog_->joined(); })) << dialog_->status().toStdString();
  EXPECT_TRUE(dialog_->status().contains("encrypted (TLS)"));
  teacher.stop();
}

}  // namespace
}  // namespace twinplan::ui
