// kill -9 during editing, then restart: the autosave brings the work back.
//
// The "editing session" is a forked child process with its own QApplication and window; it
// adds measurements, waits for the autosave and is then killed with SIGKILL (no clean-up
// runs). The parent then starts a fresh window on the same autosave folder.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QApplication>
#include <QTest>
#include <csignal>

#include "gui_fixtures.h"
#include "test_support.h"
#include "twinplan/core/case_file.h"
#include "twinplan/ui/case_document.h"
#include "twinplan/ui/main_window.h"
#include "twinplan/ui/vtk_viewport.h"

namespace twinplan::ui {
namespace {

Case smallCase() {
  ImageGeometry g;
  g.size = {16, 16, 8};
  return fixtures::caseWith(fixtures::ctVolume(g), "Before the crash");
}

Measurement ruler(const std::string& name) {
  Measurement m;
  m.kind = Measurement::Kind::Ruler;
  m.name = name;
  m.points_lps = {Vec3(1, 2, 3), Vec3(4, 6, 3)};
  return m;
}

// The child: edit, autosave, edit again without autosave, then die by SIGKILL.
[[noreturn]] void editThenGetKilled(const std::filesystem::path& autosaveDir, int argc,
                                    char** argv) {
  VtkViewport::setDefaultSurfaceFormat();
  QApplication app(argc, argv);
  MainWindow window(autosaveDir);
  window.setCase(smallCase());
  window.show();
  window.document()->addMeasurement(ruler("Saved by autosave"));
  const bool written = window.autosaveNow();
  window.document()->addMeasurement(ruler("Lost: after the last autosave"));
  std::fflush(nullptr);
  if (!written) std::_Exit(3);
  std::raise(SIGKILL);
  std::_Exit(4);
}

int gArgc = 0;
char** gArgv = nullptr;

TEST(CrashRecovery, KillDashNineThenRestartRecoversTheAutosave) {
  test::TempDir autosave("twinplan-recovery");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) editThenGetKilled(autosave.path(), gArgc, gArgv);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);

  VtkViewport::setDefaultSurfaceFormat();
  QApplication app(gArgc, gArgv);
  MainWindow restarted(autosave.path());
  ASSERT_TRUE(restarted.recoverAutosave(/*ask=*/false));
  const Case& recovered = restarted.currentCase();
  EXPECT_EQ(recovered.name, "Before the crash");
  ASSERT_EQ(recovered.measurements.size(), 1u);  // the edit after the autosave is lost
  EXPECT_EQ(recovered.measurements[0], ruler("Saved by autosave"));
  EXPECT_TRUE(restarted.document()->isModified());  // recovered work is not saved yet

  // A clean close removes the autosave: the next start offers nothing.
  restarted.document()->markClean();
  restarted.close();
  MainWindow next(autosave.path());
  EXPECT_FALSE(next.recoverAutosave(false));
}

}  // namespace
}  // namespace twinplan::ui

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  twinplan::ui::gArgc = argc;
  twinplan::ui::gArgv = argv;
  return RUN_ALL_TESTS();
}
