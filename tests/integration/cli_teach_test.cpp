// `twinplan-cli teach present` / `teach join` end to end: real processes on 127.0.0.1, a lesson
// read from a file of JSON change lines, and the participants' final states compared with the
// state worked out by hand from that lesson.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "twinplan/core/case_file.h"

namespace twinplan {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class CliTeachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Case twin;
    twin.name = "Teaching liver";
    SurfaceMesh liver = test::icosphere(Vec3(0, 0, 0), 40.0, 2, true);
    liver.name = "Liver";
    twin.meshes = {liver};
    saveCase(twin, work_.path() / "case.twinplan");
    twin.name = "Another case";
    saveCase(twin, work_.path() / "other.twinplan");
    write("lesson.jsonl",
          R"({"op": "segmentVisible", "segment": "Liver", "visible": false}
{"op": "anatomyTransform", "matrix": [0,-1,0,100, 1,0,0,-20, 0,0,1,5.5, 0,0,0,1]}

{"op": "addAnnotation", "annotation": {"id": 1, "point_lps": [12.5, -3, 40], "text": "Middle hepatic vein"}}
{"op": "followPresenter", "follow": true}
{"op": "crosshair", "crosshair": {"shown": true, "point_lps": [-12.5, 30, 7.25]}}
)");
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(work_.path() / name) << text;
  }
  std::string read(const std::string& name) {
    std::ifstream in(work_.path() / name);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  // Runs a shell script in the work folder with $CLI set.
  int script(const std::string& body) {
    // ";" not "&&": a "&" in the body must background only its own command.
    return test::runCommand("cd " + work_.path().string() +
                            " || exit 90; CLI=" + test::cliPath().string() + "; " + body)
        .status;
  }
  // Waits for the presenter's port file, then runs `then` with $PORT set.
  static std::string withPort(const std::string& then) {
    return "for i in $(seq 200); do [ -s port ] && break; sleep 0.05; done; PORT=$(cat port); " +
           then;
  }

  test::TempDir work_{"twinplan-cli-teach"};
};

TEST_F(CliTeachTest, TwoParticipantsFollowAScriptedLessonToTheEnd) {
  const int status = script(
      "($CLI --json teach present case.twinplan --code 4829 --participants 2 --port-file port "
      "--changes lesson.jsonl > present.json 2> present.log; echo $? > present.rc) & " +
      withPort(
          "($CLI --json teach join 127.0.0.1:$PORT --code 4829 --name Ada --case case.twinplan "
          "> ada.json 2> ada.log; echo $? > ada.rc) & "
          "$CLI --json teach join 127.0.0.1:$PORT --code 4829 --name Ben > ben.json 2> ben.log; "
          "echo $? > ben.rc; wait"));
  ASSERT_EQ(status, 0);
  ASSERT_EQ(read("present.rc"), "0\n") << read("present.log");
  ASSERT_EQ(read("ada.rc"), "0\n") << read("ada.log");
  ASSERT_EQ(read("ben.rc"), "0\n") << read("ben.log");
  const json presented = json::parse(read("present.json"));
  EXPECT_EQ(presented["case"], "Teaching liver");
  EXPECT_EQ(presented["changes"], 5);   // the blank line is skipped
  EXPECT_EQ(presented["sequence"], 6);  // "show data" first, then the five changes
  EXPECT_EQ(presented["participants"].size(), 2u);
  EXPECT_NE(read("present.log").find("on 127.0.0.1:"), std::string::npos);  // the default
  EXPECT_NE(read("present.log").find("joined: Ada"), std::string::npos);

  for (const char* name : {"ada.json", "ben.json"}) {
    const json joined = json::parse(read(name));
    EXPECT_EQ(joined["sequence"], 6) << name;
    EXPECT_EQ(joined["reason"], "the presenter ended the session");
    const json& state = joined["state"];
    EXPECT_EQ(state["caseId"], "Teaching liver");
    EXPECT_EQ(state["contentHash"], presented["contentHash"]);
    EXPECT_EQ(state["segmentVisible"], (json{{"Liver", false}}));
    EXPECT_EQ(state["anatomyTransform"][3], 100.0);
    EXPECT_EQ(state["anatomyTransform"][11], 5.5);
    EXPECT_EQ(state["annotations"].at(0)["text"], "Middle hepatic vein");
    EXPECT_EQ(state["followPresenter"], true);
    EXPECT_EQ(state["crosshair"], (json{{"shown", true}, {"point_lps", {-12.5, 30.0, 7.25}}}));
  }
}

TEST_F(CliTeachTest, WrongCodeAnotherCaseAndBadInputAreRefusedClearly) {
  // A wrong code: the participant is refused (exit 3); the presenter, still waiting for its
  // one participant, gives up after --wait (exit 7, Network).
  script(
      "($CLI teach present case.twinplan --code 4829 --participants 1 --wait 2 --port-file port "
      "--changes lesson.jsonl > /dev/null 2> present.log; echo $? > present.rc) & " +
      withPort("$CLI teach join 127.0.0.1:$PORT --code 0000 > /dev/null 2> join.log; "
               "echo $? > join.rc; wait"));
  EXPECT_EQ(read("join.rc"), "3\n");
  EXPECT_NE(read("join.log").find("wrong session code"), std::string::npos) << read("join.log");
  EXPECT_EQ(read("present.rc"), "7\n");
  EXPECT_NE(read("present.log").find("0 of 1 participants joined"), std::string::npos)
      << read("present.log");

  // The participant's copy is another case: refused before following.
  fs::remove(work_.path() / "port");
  script(
      "($CLI teach present case.twinplan --code 4829 --participants 1 --wait 5 --port-file port "
      "--changes lesson.jsonl > /dev/null 2> /dev/null) & " +
      withPort("$CLI teach join 127.0.0.1:$PORT --code 4829 --case other.twinplan > /dev/null "
               "2> other.log; echo $? > other.rc; wait"));
  EXPECT_EQ(read("other.rc"), "3\n");
  EXPECT_NE(read("other.log").find("get the presenter's case file"), std::string::npos)
      << read("other.log");

  // A change line that is not a change: its line number is named (exit 3).
  write("bad.jsonl", "{\"op\": \"followPresenter\", \"follow\": true}\n{\"op\": \"teleport\"}\n");
  EXPECT_EQ(script("$CLI teach present case.twinplan --changes bad.jsonl 2> bad.log"), 3);
  EXPECT_NE(read("bad.log").find("line 2"), std::string::npos) << read("bad.log");
  // Not HOST:PORT.
  EXPECT_EQ(script("$CLI teach join localhost --code 4829 2> where.log"), 3);
  EXPECT_NE(read("where.log").find("HOST:PORT"), std::string::npos) << read("where.log");
}

TEST_F(CliTeachTest, AnEncryptedLessonNeedsTheFingerprintOrTheRightCa) {
  // A self-signed certificate for 127.0.0.1 made by the openssl command; the participant pins
  // the fingerprint openssl prints for it.
  ASSERT_EQ(script("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                   "-keyout key.pem -out cert.pem -days 2 -subj /CN=lecture "
                   "-addext subjectAltName=IP:127.0.0.1 2>/dev/null && "
                   "openssl x509 -in cert.pem -noout -fingerprint -sha256 | cut -d= -f2 > fp"),
            0);
  const std::string pinned = read("fp").substr(0, read("fp").find('\n'));
  ASSERT_EQ(pinned.size(), 95u);  // 32 bytes as "AB:" groups
  const int status = script(
      "($CLI --json teach present case.twinplan --code 4829 --participants 1 --port-file port "
      "--tls-cert cert.pem --tls-key key.pem --changes lesson.jsonl > present.json "
      "2> present.log; echo $? > present.rc) & " +
      withPort(
          // A plain join is refused at once; one trusting another certificate as its CA too.
          "$CLI teach join 127.0.0.1:$PORT --code 4829 --name Plain 2> plain.log; "
          "echo $? > plain.rc; "
          "$CLI teach join 127.0.0.1:$PORT --code 4829 --tls-ca case.twinplan 2> badca.log; "
          "echo $? > badca.rc; "
          "$CLI --json teach join 127.0.0.1:$PORT --code 4829 --name Ada --tls-fingerprint " +
          pinned + " > ada.json 2> ada.log; echo $? > ada.rc; wait"));
  ASSERT_EQ(status, 0);
  ASSERT_EQ(read("present.rc"), "0\n") << read("present.log");
  ASSERT_EQ(read("ada.rc"), "0\n") << read("ada.log");
  const json presented = json::parse(read("present.json"));
  EXPECT_EQ(presented["tls"], pinned);
  EXPECT_NE(read("present.log").find("fingerprint " + pinned), std::string::npos);
  EXPECT_EQ(presented["participants"], json::array({"Ada"}));
  EXPECT_EQ(json::parse(read("ada.json"))["state"]["segmentVisible"], (json{{"Liver", false}}));
  EXPECT_EQ(read("plain.rc"), "3\n");
  EXPECT_NE(read("plain.log").find("encrypted (TLS)"), std::string::npos) << read("plain.log");
  // A CA file that holds no certificate is refused before connecting (exit 3).
  EXPECT_EQ(read("badca.rc"), "3\n");
  EXPECT_NE(read("badca.log").find("CA file holds no PEM certificate"), std::string::npos)
      << read("badca.log");
}

}  // namespace
}  // namespace twinplan
