// The "ablate" job's parameters are checked when the job is made, before any file is read or
// any simulation runs (engine/src/ablate_job.cpp), and the device catalogue's JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "twinplan/core/error.h"
#include "twinplan/engine/ablation.h"
#include "twinplan/engine/jobs.h"

namespace twinplan::engine {
namespace {

using nlohmann::json;

json ablateJob(json parameters) {
  json base = {{"case", "/nonexistent/case.twinplan"},
               {"device", "rf-cooled-3cm"},
               {"tip", "-95,10,62"},
               {"entry", "-95,-120,62"}};
  base.update(parameters);
  return {{"job", "ablate"}, {"parameters", base}};
}

// The error makeJob throws, or an empty context when it throws nothing.
Error refusal(const json& parameters) {
  try {
    (void)makeJob(ablateJob(parameters));
  } catch (const Error& e) {
    return e;
  }
  return Error(ErrorKind::Internal, "no error", "");
}

TEST(AblateJob, DefaultsComeFromTheDevice) {
  const auto job = makeJob(ablateJob(json::object()));
  const json p = job->parameters();
  EXPECT_DOUBLE_EQ(p["power_W"].get<double>(), 200.0);     // Cool-tip generator, devices.json
  EXPECT_DOUBLE_EQ(p["duration_s"].get<double>(), 720.0);  // 12 min
  EXPECT_DOUBLE_EQ(p["spacing_mm"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(p["boxSize_mm"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(p["margin_mm"].get<double>(), 5.0);
  EXPECT_EQ(p["zone_criterion"], "omega1");  // Arrhenius Omega >= 1
}

TEST(AblateJob, BadParametersAreRefusedNamingThem) {
  Error e = refusal({{"power_W", 0}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  EXPECT_EQ(e.context(), "parameters.power_W");
  EXPECT_NE(std::string(e.what()).find("above 0 W"), std::string::npos) << e.what();
  EXPECT_EQ(refusal({{"power_W", 500}}).context(), "parameters.power_W");  // above 200 W max
  EXPECT_EQ(refusal({{"duration_s", -1}}).context(), "parameters.duration_s");
  EXPECT_EQ(refusal({{"tip", "1,2"}}).context(), "parameters.tip");
  EXPECT_EQ(refusal({{"entry", "-95,10,62"}}).context(), "parameters.entry");  // on the tip
  EXPECT_EQ(refusal({{"spacing_mm", 0.1}}).context(), "spacing_mm");
  EXPECT_EQ(refusal({{"pwoer_W", 10}}).kind(), ErrorKind::InvalidInput);  // a typo
  e = refusal({{"zone_criterion", "omega2"}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  EXPECT_EQ(e.context(), "parameters.zone_criterion");
  EXPECT_NE(std::string(e.what()).find("omega1, omega4.6, t50, t60, cem43"), std::string::npos)
      << e.what();
  // Probe points (issue #17 item 2): each must be three numbers; where on the grid is checked
  // once the grid is built (integration/cli_ablate_test).
  e = refusal({{"probe_points", {"-95,10,62", "-95,10"}}});
  EXPECT_EQ(e.context(), "parameters.probe_points");
  EXPECT_NE(std::string(e.what()).find("\"-95,10\" is not a point"), std::string::npos) << e.what();
  EXPECT_EQ(refusal({{"probe_points", "-95,10,62"}}).kind(),
            ErrorKind::InvalidInput);  // not a list
  EXPECT_EQ(makeJob(ablateJob({{"probe_points", {"-95,10,62"}}}))->parameters()["probe_points"],
            json({"-95,10,62"}));
  e = refusal({{"device", "laser-1"}});
  EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  EXPECT_NE(std::string(e.what()).find("mw-2450mhz-100w"), std::string::npos) << e.what();
}

TEST(AblateJob, DeviceListHasEveryCatalogueEntryWithSources) {
  const json devices = ablationDevicesJson();
  ASSERT_GE(devices.size(), 5u);
  EXPECT_EQ(devices[0]["id"], "rf-cooled-3cm");
  EXPECT_EQ(devices[0]["type"], "rf-single");
  EXPECT_EQ(devices[0]["cooled"], true);
  for (const json& d : devices) EXPECT_FALSE(d["sources"]["generator"].get<std::string>().empty());
  // A ramp generator lists its protocol (branch ablleveen2): the 2 cm multi-tine's RF 3000 ramp
  // from 30 W by 10 W/min to a roll-off, 30 s off, half the roll-off power to a second roll-off.
  for (const json& d : devices) EXPECT_EQ(d["ramp"].is_null(), d["control"] != "ramp") << d["id"];
  const auto multiTine = std::find_if(devices.begin(), devices.end(),
                                      [](const json& d) { return d["id"] == "rf-multitine-2cm"; });
  ASSERT_NE(multiTine, devices.end());
  const json& d = *multiTine;
  EXPECT_EQ(d["control"], "ramp");
  EXPECT_EQ(d["power_W"], 30.0);
  EXPECT_EQ(d["ramp"], json({{"rate_W_per_min", 10.0},
                             {"applications", 2},
                             {"pause_s", 30.0},
                             {"restart_fraction", 0.5},
                             {"roll_off", "boiling"}}));
}

}  // namespace
}  // namespace twinplan::engine
