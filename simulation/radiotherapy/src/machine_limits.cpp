#include "twinplan/radiotherapy/machine_limits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "twinplan/core/error.h"

namespace twinplan::radiotherapy {
namespace {

std::string mm(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f mm", v);
  return text;
}

bool isClosed(const Aperture& a, std::size_t pair) {
  return !(a.leafPositive_mm[pair] > a.leafNegative_mm[pair]);
}

// The jaws beyond the field or past their travel across the axis.
void jawViolations(const Aperture& a, const MachineLimits& l, std::vector<std::string>& out) {
  const double w = l.maxFieldHalfWidth_mm;
  const struct {
    const char* name;
    double position, outer, overCentre;
    bool negativeSide;
  } jaws[] = {{"X1", a.x1_mm, -w, l.xJawOverCentre_mm, true},
              {"X2", a.x2_mm, w, -l.xJawOverCentre_mm, false},
              {"Y1", a.y1_mm, -w, l.yJawOverCentre_mm, true},
              {"Y2", a.y2_mm, w, -l.yJawOverCentre_mm, false}};
  for (const auto& j : jaws) {
    if (std::abs(j.position) > 1e8) continue;  // no such jaw
    if (j.negativeSide ? j.position < j.outer : j.position > j.outer)
      out.push_back(std::string("The ") + j.name + " jaw at " + mm(j.position) +
                    " is outside the largest field (" + mm(w) + " from the axis).");
    if (j.negativeSide ? j.position > j.overCentre : j.position < j.overCentre)
      out.push_back(std::string("The ") + j.name + " jaw at " + mm(j.position) +
                    " is past its travel across the central axis (" + mm(std::abs(j.overCentre)) +
                    ").");
  }
}

double bankSpan(const std::vector<double>& bank) {
  const auto [lo, hi] = std::minmax_element(bank.begin(), bank.end());
  return *hi - *lo;
}

void leafViolations(const Aperture& a, const MachineLimits& l, std::vector<std::string>& out) {
  const std::size_t pairs = a.leafNegative_mm.size();
  const double w = l.maxFieldHalfWidth_mm;
  for (std::size_t i = 0; i < pairs; ++i) {
    const double n = a.leafNegative_mm[i], p = a.leafPositive_mm[i];
    const std::string pair = "leaf pair " + std::to_string(i + 1);
    if (n < -w || n > l.leafOverCentre_mm)
      out.push_back("Bank 1's leaf of " + pair + " at " + mm(n) + " is beyond its travel (" +
                    mm(-w) + " to " + mm(l.leafOverCentre_mm) + ").");
    if (p > w || p < -l.leafOverCentre_mm)
      out.push_back("Bank 2's leaf of " + pair + " at " + mm(p) + " is beyond its travel (" +
                    mm(-l.leafOverCentre_mm) + " to " + mm(w) + ").");
    if (n > p) out.push_back("The leaves of " + pair + " overlap (" + mm(n) + " > " + mm(p) + ").");
  }
  if (pairs == 0) return;
  const double span1 = bankSpan(a.leafNegative_mm), span2 = bankSpan(a.leafPositive_mm);
  if (span1 > l.maxLeafSpan_mm + 1e-9)
    out.push_back("Bank 1's leaves span " + mm(span1) + ", more than the " + mm(l.maxLeafSpan_mm) +
                  " one bank can reach.");
  if (span2 > l.maxLeafSpan_mm + 1e-9)
    out.push_back("Bank 2's leaves span " + mm(span2) + ", more than the " + mm(l.maxLeafSpan_mm) +
                  " one bank can reach.");
  if (l.interdigitation) return;
  for (std::size_t i = 0; i + 1 < pairs; ++i)
    if (a.leafNegative_mm[i] > a.leafPositive_mm[i + 1] ||
        a.leafNegative_mm[i + 1] > a.leafPositive_mm[i])
      out.push_back("Leaf pairs " + std::to_string(i + 1) + " and " + std::to_string(i + 2) +
                    " pass each other, and this MLC does not interdigitate.");
}

// Closed pairs moved to the centre of the nearest open pair: there they add nothing to a bank's
// span and pass no neighbour. Returns false when no pair is open.
bool parkClosedPairs(Aperture& a) {
  const std::size_t pairs = a.leafNegative_mm.size();
  std::vector<std::size_t> open;
  for (std::size_t i = 0; i < pairs; ++i)
    if (!isClosed(a, i)) open.push_back(i);
  if (open.empty()) return false;
  for (std::size_t i = 0; i < pairs; ++i) {
    if (!isClosed(a, i)) continue;
    const std::size_t nearest =
        *std::min_element(open.begin(), open.end(), [i](std::size_t x, std::size_t y) {
          const auto d = [i](std::size_t o) { return o > i ? o - i : i - o; };
          return d(x) < d(y);
        });
    const double centre = 0.5 * (a.leafNegative_mm[nearest] + a.leafPositive_mm[nearest]);
    a.leafNegative_mm[i] = a.leafPositive_mm[i] = centre;
  }
  return true;
}

}  // namespace

void MachineLimits::validate() const {
  const auto check = [](double v, const char* member) {
    if (!(v >= 0.0) || !std::isfinite(v))
      throw Error(ErrorKind::InvalidInput,
                  std::string("The machine limit ") + member + " must be a finite length >= 0 mm.",
                  member);
  };
  check(maxFieldHalfWidth_mm, "maxFieldHalfWidth_mm");
  check(xJawOverCentre_mm, "xJawOverCentre_mm");
  check(yJawOverCentre_mm, "yJawOverCentre_mm");
  check(maxLeafSpan_mm, "maxLeafSpan_mm");
  check(leafOverCentre_mm, "leafOverCentre_mm");
}

MachineLimits millennium120Limits() {
  MachineLimits l;
  l.name = "Varian Millennium 120";
  return l;  // the defaults are its published figures (machine_limits.h)
}

std::vector<std::string> machineLimitViolations(const Aperture& aperture,
                                                const MachineLimits& limits) {
  limits.validate();
  std::vector<std::string> out;
  jawViolations(aperture, limits, out);
  leafViolations(aperture, limits, out);
  return out;
}

MachineLimitReport applyMachineLimits(Aperture& aperture, const MachineLimits& limits) {
  limits.validate();
  MachineLimitReport report;
  Aperture a = aperture;
  const auto hold = [&](double& jaw, double limit, bool negativeSide, const char* name) {
    if (std::abs(jaw) > 1e8 || (negativeSide ? jaw <= limit : jaw >= limit)) return;
    report.warnings.push_back(std::string("The ") + name + " jaw would sit at " + mm(jaw) +
                              ", past its travel across the central axis; it is held at " +
                              mm(limit) + " and the leaves shape the field there.");
    jaw = limit;
  };
  hold(a.x1_mm, limits.xJawOverCentre_mm, true, "X1");
  hold(a.x2_mm, -limits.xJawOverCentre_mm, false, "X2");
  hold(a.y1_mm, limits.yJawOverCentre_mm, true, "Y1");
  hold(a.y2_mm, -limits.yJawOverCentre_mm, false, "Y2");

  if (!machineLimitViolations(a, limits).empty()) {
    Aperture parked = a;
    if (parkClosedPairs(parked) &&
        machineLimitViolations(parked, limits).size() < machineLimitViolations(a, limits).size()) {
      report.warnings.push_back(
          "The closed leaf pairs are parked at the centre of the nearest open pair instead of "
          "under the X1 jaw, to keep within " +
          limits.name + "'s leaf span" + (limits.interdigitation ? "" : " and interdigitation") +
          " limits.");
      a = std::move(parked);
    }
  }
  const std::vector<std::string> left = machineLimitViolations(a, limits);
  if (!left.empty())
    throw Error(ErrorKind::InvalidInput,
                "The aperture cannot be delivered by " +
                    (limits.name.empty() ? std::string("the machine") : limits.name) + ": " +
                    left.front() +
                    (left.size() > 1 ? " (and " + std::to_string(left.size() - 1) + " more)" : "") +
                    " Turn the collimator so the target's long side lies across the leaves, "
                    "or split the target over two isocentres.",
                "mlc");
  aperture = std::move(a);
  return report;
}

}  // namespace twinplan::radiotherapy
